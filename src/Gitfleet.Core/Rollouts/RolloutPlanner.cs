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

    /// <summary>Maintenance calendars by the key devices name in <see cref="RolloutDevice.Windows"/>; a device whose key is not here installs any time.</summary>
    public IReadOnlyDictionary<string, MaintenanceCalendar> Calendars { get; init; } = new Dictionary<string, MaintenanceCalendar>();

    /// <summary><c>paused: true</c> in gitfleet.yml: nothing new starts while it holds.</summary>
    public bool DeclaredPause { get; init; }

    /// <summary>How long a device takes, for estimates before any device of the rollout finished (null: no estimate until then).</summary>
    public TimeSpan? AssumedDeviceTime { get; init; }

    /// <summary>
    /// Bytes each device downloads when it starts (its delta, else its full image; configuration only: none), for the
    /// byte budget. Empty without one.
    /// </summary>
    public IReadOnlyDictionary<string, long> DownloadBytes { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// The pure rollout decision. Waves are cumulative shares of the rollout's devices in a stable pseudo-random
/// order; a wave is complete when its <c>completeAt</c> share (all by default) of devices succeeded, failed for
/// good, or is offline past the timeout; the rest are stragglers, followed in the background. The next wave
/// starts after the soak time. A device starts when every start limit lets it (<c>maxConcurrent</c>, where
/// offline devices hold no slot; pacing; <c>byteBudget</c>; <c>dependsOn</c>). Scheduled devices whose maintenance window is closed
/// are held before installing (pre-staged downloads). A device past its phase's timeout fails (timed out).
/// Failed devices are retried up to <c>retries</c> times; failures beyond the threshold pause the rollout until an
/// operator resumes it; abort rules judged on the current wave pause, abort or revert.
/// </summary>
public static partial class RolloutPlanner
{
    public static RolloutDecision Decide(RolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var policy = input.Policy;
        var progress = input.Progress;
        var now = input.Now;
        var devices = Order(input.Devices, input.Seed);
        var total = devices.Count;
        bool IsOffline(RolloutDevice d) => RolloutRules.IsOffline(d.LastCheckIn, now, policy.OfflineTimeout);
        bool IsDone(RolloutDevice d) => RolloutRules.IsDone(d.State, d.Attempts, policy.Retries);

        var (timedOut, timeoutWake) = ApplyTimeouts(policy, devices, now);
        var failedForGood = devices.Count(d => RolloutRules.FailedForGood(d.State, d.Attempts, policy.Retries));
        var counts = new RolloutCounts(
            total,
            devices.Count(d => RolloutRules.IsDue(d.State, d.Attempts, policy.Retries)),
            devices.Count(d => d.State == RolloutDeviceState.Scheduled),
            devices.Count(d => d.State == RolloutDeviceState.Succeeded),
            failedForGood,
            devices.Count(d => !IsDone(d) && IsOffline(d)),
            devices.Count(d => d.State == RolloutDeviceState.Aborted));
        var windows = new WindowLookup(input.Calendars, now);

        RolloutDecision Decision(RolloutProgress p, RolloutPhase phase, string message, Explanation? explained = null, IReadOnlyList<string>? schedule = null, int waveSize = 0, DateTimeOffset? wake = null, AbortVerdict? response = null) =>
            new()
            {
                Schedule = schedule ?? [], Progress = p, Phase = phase, Message = message, Counts = counts, WaveSize = waveSize,
                // A timed-out device is retried by the next decision (its deployment is aborted first): decide again at once.
                WakeAt = Earliest(wake, timeoutWake, explained?.Wake, timedOut.Count > 0 ? now : null), TimedOut = timedOut, Response = response,
                Waits = explained?.Waits ?? new Dictionary<string, DeviceWait>(), Held = explained?.Held ?? 0,
            };

        if (progress.Aborted)
        {
            return Decision(progress, RolloutPhase.Aborted, "aborted: nothing new is scheduled") with { TimedOut = [] };
        }

        // Abort rules judge the wave even when its last devices just finished (a revert must still come).
        var wave = Math.Min(progress.Wave, policy.Waves.Count - 1);
        if (!progress.Paused && progress.CompletedAt is null && Judge(policy, devices, wave, total, progress) is { } verdict)
        {
            var reason = "abort rule: " + verdict.Describe();
            switch (verdict.Rule.Action)
            {
                case AbortAction.Pause:
                    progress = progress with { Paused = true, PauseReason = reason };
                    var held = WaitExplanation.Explain(devices, windows, new DeviceWait(WaitReason.Paused, null, reason), 0, IsDone, paused: true);
                    return Decision(progress, RolloutPhase.Paused, $"paused: {reason}; resume to continue", held, response: verdict);
                default:
                    var aborted = progress with { Aborted = true, Paused = false, PauseReason = reason, RevertRequested = verdict.Rule.Action == AbortAction.Revert };
                    var then = verdict.Rule.Action == AbortAction.Revert ? "; the devices go back to the last good commit" : "";
                    return Decision(aborted, RolloutPhase.Aborted, $"aborted by an {reason}{then}", response: verdict) with { TimedOut = [] };
            }
        }

        if (total == 0 || devices.All(IsDone))
        {
            var done = progress with
            {
                CompletedAt = progress.CompletedAt ?? now,
                BulkCompletedAt = progress.BulkCompletedAt ?? now,
                Wave = Math.Max(progress.Wave, policy.Waves.Count - 1),
            };
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

        if (progress.Paused || input.DeclaredPause)
        {
            var why = progress.Paused ? progress.PauseReason ?? "by an operator" : "paused: true in gitfleet.yml";
            var explained = WaitExplanation.Explain(devices, windows, new DeviceWait(WaitReason.Paused, null, why), 0, IsDone, paused: true);
            var resume = progress.Paused ? "resume to continue" : "set paused: false (or remove it) to continue";
            return Decision(progress, RolloutPhase.Paused, $"paused: {why}; {resume}", explained);
        }

        // Advance through complete waves (a wave may complete at once when its devices were already converged).
        int DoneIn(int size) => devices.Take(size).Count(d => IsDone(d) || IsOffline(d));
        while (true)
        {
            var size = WaveSize(policy, wave, total);
            var waveDone = WaveCompletion.IsComplete(size, DoneIn(size), policy.CompleteAt);
            if (!waveDone || wave == policy.Waves.Count - 1)
            {
                progress = progress with
                {
                    Wave = wave,
                    WaveCompletedAt = waveDone ? progress.WaveCompletedAt ?? now : null,
                    BulkCompletedAt = waveDone && wave == policy.Waves.Count - 1 ? progress.BulkCompletedAt ?? now : progress.BulkCompletedAt,
                };
                break;
            }

            var completedAt = progress.Wave == wave ? progress.WaveCompletedAt ?? now : now;
            if (now - completedAt < policy.Soak)
            {
                var until = completedAt + policy.Soak;
                progress = progress with { Wave = wave, WaveCompletedAt = completedAt };
                var soaking = WaitExplanation.Explain(devices, windows, new DeviceWait(WaitReason.Soak, until, $"wave {wave + 2}"), size, IsDone, paused: false);
                return Decision(progress, RolloutPhase.Soaking,
                    $"wave {wave + 1} of {policy.Waves.Count} done; soaking until {until:u} before wave {wave + 2}", soaking, [], size, until)
                    with { Stragglers = Stragglers(devices, size, IsDone, IsOffline), NextWaveAt = until, EstimatedEnd = Forecast(input, devices, wave, progress, counts).End };
            }

            wave++;
            progress = progress with { Wave = wave, WaveCompletedAt = null };
        }

        var currentSize = WaveSize(policy, wave, total);
        var inProgress = devices.Count(d => d.State == RolloutDeviceState.Scheduled && !IsOffline(d));
        var pacing = new PacingLimit(StartPacing.Allow(policy.Pacing, devices.Where(d => d.StartedAt is not null).Select(d => d.StartedAt!.Value), counts.Succeeded, now));
        var budget = new ByteBudgetLimit(policy.ByteBudget, input.DownloadBytes, devices, d => d.State == RolloutDeviceState.Scheduled && !IsOffline(d), wave, now);
        IStartLimit[] limits =
        [
            new ConcurrencyLimit(policy.MaxConcurrent is { } max ? Math.Max(0, max - inProgress) : int.MaxValue),
            pacing,
            budget,
            new DependencyLimit(devices, input.DependsOn, IsDone, IsOffline),
        ];
        var schedule = new List<string>();
        var blocked = new Dictionary<string, DeviceWait>(StringComparer.Ordinal);
        var timedOutKeys = timedOut.Count > 0 ? timedOut.Select(t => t.Key).ToHashSet(StringComparer.Ordinal) : null;
        foreach (var device in devices.Take(currentSize))
        {
            if (!RolloutRules.IsDue(device.State, device.Attempts, policy.Retries))
            {
                continue;
            }

            if (timedOutKeys?.Contains(device.Key) == true)
            {
                // Its hung deployment is aborted first; the retry comes with the next decision.
                blocked[device.Key] = new DeviceWait(WaitReason.Retry, null, "its attempt timed out");
                continue;
            }

            if (limits.Select(l => l.Check(device)).FirstOrDefault(w => w is not null) is { } wait)
            {
                blocked[device.Key] = wait;
                continue;
            }

            foreach (var limit in limits)
            {
                limit.Started(device);
            }

            schedule.Add(device.Key);
        }

        var progressing = WaitExplanation.Explain(devices, windows, new DeviceWait(WaitReason.Wave), currentSize, IsDone, paused: false, blocked, schedule);
        var message = $"wave {wave + 1} of {policy.Waves.Count} ({currentSize} of {total} devices): {counts.Succeeded} succeeded, {inProgress + schedule.Count} in progress, {failedForGood} failed";
        if (blocked.Values.Count(w => w.Reason == WaitReason.DependsOn) is > 0 and var dependents)
        {
            message += $", {dependents} waiting for the groups they depend on";
        }

        if (blocked.Values.Count(w => w.Reason == WaitReason.Budget) is > 0 and var overBudget)
        {
            message += $", {overBudget} waiting for the byte budget";
        }

        if (progressing.Held > 0)
        {
            message += $", {progressing.Held} downloaded or downloading and waiting for their maintenance window";
        }

        var stragglers = Stragglers(devices, progress.BulkCompletedAt is null ? WaveSize(policy, wave - 1, total) : total, IsDone, IsOffline);
        if (progress.BulkCompletedAt is not null)
        {
            message += $"; complete at {policy.CompleteAt}, {stragglers} stragglers followed";
        }

        var (nextWave, end) = Forecast(input, devices, wave, progress, counts);
        return Decision(progress, RolloutPhase.Progressing, message, progressing, schedule, currentSize, Earliest(pacing.BlockedUntil, budget.BlockedUntil))
            with { Stragglers = stragglers, NextWaveAt = nextWave, EstimatedEnd = end };
    }

    /// <summary>The cumulative number of devices wave <paramref name="wave"/> covers.</summary>
    public static int WaveSize(RolloutPolicy policy, int wave, int total)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return wave < 0 ? 0 : wave >= policy.Waves.Count - 1 ? total : Math.Max(1, policy.Waves[wave].Of(total));
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
}
