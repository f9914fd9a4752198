using Gitfleet.Core.Delivery;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>A device admitted into downloading: when, in which wave, and the bytes it was expected to move.</summary>
public sealed record ByteAdmission(string Key, long Bytes, DateTimeOffset At, int Wave);

/// <summary>Everything a byte-budget decision depends on; time comes in as <see cref="Now"/>.</summary>
public sealed record ByteBudgetInput
{
    public required ByteBudgetPolicy Policy { get; init; }

    /// <summary>The devices the rollout would start now, in the rollout's order.</summary>
    public required IReadOnlyList<string> Candidates { get; init; }

    /// <summary>Bytes each candidate downloads (its delta, else its full image); a candidate not listed moves 0 bytes (configuration only).</summary>
    public required IReadOnlyDictionary<string, long> Bytes { get; init; }

    /// <summary>Earlier admissions of this rollout (at least those of the last hour and of the current wave).</summary>
    public IReadOnlyList<ByteAdmission> Admitted { get; init; } = [];

    /// <summary>Admitted devices that are done (succeeded, failed for good, or offline): their bytes no longer count against the wave.</summary>
    public IReadOnlySet<string> Finished { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The current wave (0-based).</summary>
    public required int Wave { get; init; }

    public required DateTimeOffset Now { get; init; }
}

/// <summary>Which candidates start now, which wait, and when time alone lets the next one go.</summary>
public sealed record ByteBudgetDecision
{
    public required IReadOnlyList<string> Admit { get; init; }

    public required IReadOnlyList<string> Held { get; init; }

    /// <summary>The admissions to keep (the old ones plus today's), pruned to what later decisions need.</summary>
    public required IReadOnlyList<ByteAdmission> Log { get; init; }

    /// <summary>When the hourly budget has room for the first held device (null: nothing held, or only finishing devices free room).</summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>Why devices wait, for the rollout's message (null when none wait).</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// The byte budget of a rollout (gitfleet.yml <c>rollout.byteBudget</c>), a start limit of the pure rollout planner
/// beside maxConcurrent and pacing. <c>perHour</c>: the bytes admitted within any hour stay within the budget, which
/// refills as admissions age past the hour. <c>perWave</c>: within a wave, the bytes of admitted devices that are
/// not done yet stay within the budget, which refills as they finish. Candidates are taken in the rollout's order and
/// the first that does not fit stops the admission (no overtaking, so big downloads are not starved). When nothing
/// is counted against a budget, one device is admitted even if it alone exceeds it, so a rollout always progresses.
/// </summary>
public static class ByteBudget
{
    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static ByteBudgetDecision Decide(ByteBudgetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var meter = new ByteBudgetMeter(input.Policy, input.Admitted, input.Finished, input.Wave, input.Now);
        var admit = new List<string>();
        var i = 0;
        string? reason = null;
        for (; i < input.Candidates.Count; i++)
        {
            var key = input.Candidates[i];
            var bytes = input.Bytes.GetValueOrDefault(key);
            if ((reason = meter.Refusal(bytes)) is not null)
            {
                break;
            }

            admit.Add(key);
            meter.Admit(key, bytes);
        }

        var held = input.Candidates.Skip(i).ToList();
        return new ByteBudgetDecision
        {
            Admit = admit,
            Held = held,
            Log = meter.Log,
            RetryAt = held.Count > 0 ? meter.HourlyRoomAt(input.Bytes.GetValueOrDefault(held[0])) : null,
            Reason = held.Count > 0 ? $"{held.Count} devices wait: {reason}" : null,
        };
    }
}

/// <summary>
/// The running account of one decision under a byte budget: what the last hour and the current wave have used,
/// whether the next download fits, and when the hourly budget has room again.
/// </summary>
public sealed class ByteBudgetMeter
{
    private readonly ByteBudgetPolicy policy;
    private readonly DateTimeOffset now;
    private readonly List<ByteAdmission> log;
    private long hourUsed;
    private long waveUsed;

    public ByteBudgetMeter(ByteBudgetPolicy policy, IReadOnlyList<ByteAdmission> admitted, IReadOnlySet<string> finished, int wave, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(admitted);
        ArgumentNullException.ThrowIfNull(finished);
        this.policy = policy;
        this.now = now;
        Wave = wave;
        // What later decisions need: the last hour's admissions, and (with a wave budget) the wave's unfinished ones.
        log = admitted.Where(a => a.At > now - ByteBudget.Hour || (policy.PerWave is not null && a.Wave == wave && !finished.Contains(a.Key))).ToList();
        hourUsed = log.Where(a => a.At > now - ByteBudget.Hour).Sum(a => a.Bytes);
        waveUsed = policy.PerWave is null ? 0 : log.Where(a => a.Wave == wave && !finished.Contains(a.Key)).Sum(a => a.Bytes);
    }

    public int Wave { get; }

    /// <summary>The admissions to keep (the old ones plus this decision's), pruned to what later decisions need.</summary>
    public IReadOnlyList<ByteAdmission> Log => log;

    /// <summary>Null when a download of <paramref name="bytes"/> fits now, else why it does not.</summary>
    public string? Refusal(long bytes)
    {
        if (policy.PerHour is { } perHour && hourUsed > 0 && hourUsed + bytes > perHour)
        {
            return $"the hourly byte budget ({ByteSize.Format(perHour)}) is used: {ByteSize.Format(hourUsed)} admitted in the last hour";
        }

        if (policy.PerWave is { } perWave && waveUsed > 0 && waveUsed + bytes > perWave)
        {
            return $"the wave's byte budget ({ByteSize.Format(perWave)}) is used by {ByteSize.Format(waveUsed)} still downloading or installing";
        }

        return null;
    }

    /// <summary>A download of <paramref name="bytes"/> starts now: count it.</summary>
    public void Admit(string key, long bytes)
    {
        hourUsed += bytes;
        waveUsed += bytes;
        log.Add(new ByteAdmission(key, bytes, now, Wave));
    }

    /// <summary>When enough of the last hour's admissions age out for <paramref name="next"/> bytes to fit the hourly budget (null: never by time alone).</summary>
    public DateTimeOffset? HourlyRoomAt(long next)
    {
        if (policy.PerHour is not { } perHour)
        {
            return null;
        }

        var window = log.Where(a => a.At > now - ByteBudget.Hour).OrderBy(a => a.At).ToList();
        var used = window.Sum(a => a.Bytes);
        if (used == 0 || used + next <= perHour)
        {
            return null;
        }

        foreach (var admission in window)
        {
            used -= admission.Bytes;
            if (used == 0 || used + next <= perHour)
            {
                return admission.At + ByteBudget.Hour;
            }
        }

        return null;
    }
}
