using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>How many devices pacing lets start now, at which rate, and when one more may start once those are used.</summary>
public readonly record struct PacingAllowance(int Available, int RatePerMinute, DateTimeOffset? NextAt)
{
    public static readonly PacingAllowance Unlimited = new(int.MaxValue, 0, null);
}

/// <summary>
/// Pacing as a pure rule: at most <c>perMinute</c> devices started in any 60-second window, counted from the
/// devices' own start times (nothing else is kept between decisions). With a ramp the rate is
/// <c>perMinute × factor^⌊successes / every⌋</c>, capped at <c>maxPerMinute</c> (AWS IoT Jobs' exponential
/// rollout rate).
/// </summary>
public static class StartPacing
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The rate after <paramref name="successes"/> devices of the rollout succeeded.</summary>
    public static int RatePerMinute(PacingPolicy policy, int successes)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Ramp is not { } ramp)
        {
            return policy.PerMinute;
        }

        var cap = ramp.MaxPerMinute ?? int.MaxValue;
        var rate = policy.PerMinute * Math.Pow(ramp.Factor, Math.Max(0, successes) / ramp.Every);
        return rate >= cap ? cap : (int)Math.Floor(rate);
    }

    /// <param name="starts">When the rollout's devices last started (older ones are ignored; order does not matter).</param>
    public static PacingAllowance Allow(PacingPolicy? policy, IEnumerable<DateTimeOffset> starts, int successes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(starts);
        if (policy is null)
        {
            return PacingAllowance.Unlimited;
        }

        var rate = RatePerMinute(policy, successes);
        var recent = new List<DateTimeOffset>();
        foreach (var start in starts)
        {
            if (start > now - Window && start <= now)
            {
                recent.Add(start);
            }
        }

        var available = Math.Max(0, rate - recent.Count);
        recent.Sort();

        // Once the available starts are used (now), one more is allowed when enough earlier ones left the minute.
        var next = available > 0
            ? (recent.Count > 0 ? recent[0] : now) + Window
            : recent[recent.Count - rate] + Window;
        return new PacingAllowance(available, rate, next);
    }
}
