using System.Security.Cryptography;
using System.Text;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>Everything a rollout decision depends on; time comes in as <see cref="Now"/>.</summary>
public sealed record RolloutInput
{
    public required RolloutPolicy Policy { get; init; }

    /// <summary>The rollout's devices. Their order does not matter: waves use a stable order seeded by <see cref="Seed"/>.</summary>
    public required IReadOnlyList<RolloutDevice> Devices { get; init; }

    public required RolloutProgress Progress { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>Seeds the wave order (the commit SHA): the same commit always rolls out in the same order.</summary>
    public string Seed { get; init; } = "";

    /// <summary>Group → groups it depends on (gitfleet.yml dependsOn).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> DependsOn { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// The pure rollout decision. Waves are cumulative shares of the rollout's devices in a stable pseudo-random
/// order; a wave is done when each of its devices succeeded, failed for good, or is offline past the timeout;
/// the next wave starts after the soak time. At most <c>maxConcurrent</c> devices are in progress (offline ones
/// do not hold a slot). Failed devices are retried up to <c>retries</c> times; failures beyond the threshold
/// pause the rollout until an operator resumes it. A device whose group depends on another group waits until
/// that group's devices in the rollout succeeded (or are offline).
/// </summary>
public static class RolloutPlanner
{
    public static RolloutDecision Decide(RolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var policy = input.Policy;
        var progress = input.Progress;
        var devices = Order(input.Devices, input.Seed);
        var total = devices.Count;
        bool IsOffline(RolloutDevice d) =>
            d.LastCheckIn is null || input.Now - d.LastCheckIn.Value > policy.OfflineTimeout;
        bool IsDone(RolloutDevice d) =>
            d.State is RolloutDeviceState.Succeeded or RolloutDeviceState.Aborted
            || (d.State == RolloutDeviceState.Failed && d.Attempts > policy.Retries);

        var failedForGood = devices.Count(d => d.State == RolloutDeviceState.Failed && d.Attempts > policy.Retries);
        var counts = new RolloutCounts(
            total,
            devices.Count(d => d.State == RolloutDeviceState.Waiting || (d.State == RolloutDeviceState.Failed && d.Attempts <= policy.Retries)),
            devices.Count(d => d.State == RolloutDeviceState.Scheduled),
            devices.Count(d => d.State == RolloutDeviceState.Succeeded),
            failedForGood,
            devices.Count(d => !IsDone(d) && IsOffline(d)),
            devices.Count(d => d.State == RolloutDeviceState.Aborted));

        RolloutDecision Decision(RolloutProgress p, RolloutPhase phase, string message, IReadOnlyList<string>? schedule = null, int waveSize = 0, DateTimeOffset? wake = null) =>
            new() { Schedule = schedule ?? [], Progress = p, Phase = phase, Message = message, Counts = counts, WaveSize = waveSize, WakeAt = wake };

        if (progress.Aborted)
        {
            return Decision(progress, RolloutPhase.Aborted, "aborted: nothing new is scheduled");
        }

        if (total == 0 || devices.All(IsDone))
        {
            var done = progress with { CompletedAt = progress.CompletedAt ?? input.Now, Wave = Math.Max(progress.Wave, policy.Waves.Count - 1) };
            var failures = failedForGood > 0 ? $", {failedForGood} failed" : "";
            return Decision(done, RolloutPhase.Completed, $"completed: {counts.Succeeded} of {total} devices succeeded{failures}");
        }

        // The failure threshold pauses the rollout; resuming acknowledges the failures so far.
        if (!progress.Paused && policy.FailureThreshold is { } threshold)
        {
            var newFailures = failedForGood - progress.AcknowledgedFailures;
            var limit = Math.Max(1, threshold.Of(total));
            if (newFailures >= limit)
            {
                progress = progress with { Paused = true, PauseReason = $"{failedForGood} of {total} devices failed (threshold {threshold})" };
            }
        }

        if (progress.Paused)
        {
            return Decision(progress, RolloutPhase.Paused, $"paused: {progress.PauseReason ?? "by an operator"}; resume to continue");
        }

        // Advance through finished waves (a wave may finish at once when its devices were already converged).
        var wave = Math.Min(progress.Wave, policy.Waves.Count - 1);
        while (true)
        {
            var size = WaveSize(policy, wave, total);
            var waveDone = devices.Take(size).All(d => IsDone(d) || IsOffline(d));
            if (!waveDone || wave == policy.Waves.Count - 1)
            {
                progress = progress with { Wave = wave, WaveCompletedAt = waveDone ? progress.WaveCompletedAt ?? input.Now : null };
                break;
            }

            var completedAt = progress.Wave == wave ? progress.WaveCompletedAt ?? input.Now : input.Now;
            if (input.Now - completedAt < policy.Soak)
            {
                var until = completedAt + policy.Soak;
                progress = progress with { Wave = wave, WaveCompletedAt = completedAt };
                return Decision(progress, RolloutPhase.Soaking,
                    $"wave {wave + 1} of {policy.Waves.Count} done; soaking until {until:u} before wave {wave + 2}", [], size, until);
            }

            wave++;
            progress = progress with { Wave = wave, WaveCompletedAt = null };
        }

        var currentSize = WaveSize(policy, wave, total);
        var inProgress = devices.Count(d => d.State == RolloutDeviceState.Scheduled && !IsOffline(d));
        var slots = policy.MaxConcurrent is { } max ? Math.Max(0, max - inProgress) : int.MaxValue;
        var groupsDone = DependencyGate(devices, input.DependsOn, IsDone, IsOffline);
        var schedule = new List<string>();
        var blockedByDependency = 0;
        foreach (var device in devices.Take(currentSize))
        {
            if (schedule.Count >= slots)
            {
                break;
            }

            var due = device.State == RolloutDeviceState.Waiting
                || (device.State == RolloutDeviceState.Failed && device.Attempts <= policy.Retries);
            if (!due)
            {
                continue;
            }

            if (!groupsDone(device))
            {
                blockedByDependency++;
                continue;
            }

            schedule.Add(device.Key);
        }

        var message = $"wave {wave + 1} of {policy.Waves.Count} ({currentSize} of {total} devices): {counts.Succeeded} succeeded, {inProgress + schedule.Count} in progress, {failedForGood} failed";
        if (blockedByDependency > 0)
        {
            message += $", {blockedByDependency} waiting for the groups they depend on";
        }

        return Decision(progress, RolloutPhase.Progressing, message, schedule, currentSize);
    }

    /// <summary>The cumulative number of devices wave <paramref name="wave"/> covers.</summary>
    public static int WaveSize(RolloutPolicy policy, int wave, int total)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return wave >= policy.Waves.Count - 1 ? total : Math.Max(1, policy.Waves[wave].Of(total));
    }

    /// <summary>A stable pseudo-random order: the same seed and keys give the same waves on every run.</summary>
    public static List<RolloutDevice> Order(IReadOnlyList<RolloutDevice> devices, string seed)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var keyed = new (ulong Rank, RolloutDevice Device)[devices.Count];
        Span<byte> digest = stackalloc byte[32];
        for (var i = 0; i < devices.Count; i++)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(seed + "\n" + devices[i].Key), digest);
            keyed[i] = (BitConverter.ToUInt64(digest), devices[i]);
        }

        Array.Sort(keyed, (a, b) => a.Rank != b.Rank ? a.Rank.CompareTo(b.Rank) : string.CompareOrdinal(a.Device.Key, b.Device.Key));
        return keyed.Select(k => k.Device).ToList();
    }

    /// <summary>A device may go when every group its groups depend on has no unfinished, online device left.</summary>
    private static Func<RolloutDevice, bool> DependencyGate(
        List<RolloutDevice> devices,
        IReadOnlyDictionary<string, IReadOnlyList<string>> dependsOn,
        Func<RolloutDevice, bool> isDone,
        Func<RolloutDevice, bool> isOffline)
    {
        if (dependsOn.Count == 0)
        {
            return static _ => true;
        }

        var unfinished = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            if (!isDone(device) && !isOffline(device))
            {
                unfinished.UnionWith(device.Groups);
            }
        }

        return device =>
        {
            foreach (var group in device.Groups)
            {
                if (dependsOn.TryGetValue(group, out var dependencies) && dependencies.Any(unfinished.Contains))
                {
                    return false;
                }
            }

            return true;
        };
    }
}
