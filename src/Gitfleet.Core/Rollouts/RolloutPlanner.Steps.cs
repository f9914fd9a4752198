using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>The steps of a decision that apply one rule each (timeouts, abort criteria, stragglers, the forecast).</summary>
public static partial class RolloutPlanner
{
    /// <summary>Scheduled devices past their phase's timeout fail (timed out) from here on; returns them and the next deadline.</summary>
    private static (IReadOnlyList<TimedOutDevice> TimedOut, DateTimeOffset? Wake) ApplyTimeouts(RolloutPolicy policy, List<RolloutDevice> devices, DateTimeOffset now)
    {
        if (policy.Timeouts.IsEmpty)
        {
            return ([], null);
        }

        var timedOut = new List<TimedOutDevice>();
        DateTimeOffset? wake = null;
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            if (device.State != RolloutDeviceState.Scheduled || device.PhaseSince is not { } since)
            {
                continue;
            }

            var verdict = PhaseTimeout.Check(policy.Timeouts, device.Phase, since, now);
            if (verdict.TimedOut)
            {
                var reason = verdict.Describe(PhaseTimeout.Limit(policy.Timeouts, device.Phase)!.Value);
                timedOut.Add(new TimedOutDevice(device.Key, reason));
                devices[i] = device with { State = RolloutDeviceState.Failed, Failure = FailureKind.TimedOut, LastError = reason, ChangedAt = now };
            }
            else if (verdict.Deadline is { } deadline)
            {
                wake = Earliest(wake, deadline);
            }
        }

        return (timedOut, wake);
    }

    /// <summary>The current wave and how its devices ended so far: what resuming a rollout an abort rule paused acknowledges.</summary>
    public static (int Wave, WaveOutcomes Outcomes) CurrentWaveOutcomes(RolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var devices = Order(input.Devices, input.Seed);
        var wave = Math.Min(input.Progress.Wave, input.Policy.Waves.Count - 1);
        return (wave, Outcomes(input.Policy, devices, wave, devices.Count));
    }

    /// <summary>
    /// The abort rules on the current wave's devices (those the wave adds), each counted by the outcome of its last
    /// attempt (a failed device waiting for its retry counts as failed).
    /// </summary>
    private static AbortVerdict? Judge(RolloutPolicy policy, List<RolloutDevice> devices, int wave, int total, RolloutProgress progress)
    {
        if (policy.Abort.Count == 0)
        {
            return null;
        }

        return AbortCriteria.Judge(policy.Abort, Outcomes(policy, devices, wave, total), progress.AcknowledgedWave == wave ? progress.AcknowledgedOutcomes : null);
    }

    private static WaveOutcomes Outcomes(RolloutPolicy policy, List<RolloutDevice> devices, int wave, int total)
    {
        var outcomes = WaveOutcomes.None;
        for (var i = WaveSize(policy, wave - 1, total); i < WaveSize(policy, wave, total); i++)
        {
            outcomes = devices[i].State switch
            {
                RolloutDeviceState.Succeeded => outcomes.Add(null),
                RolloutDeviceState.Failed => outcomes.Add(devices[i].Failure ?? FailureKind.Failed),
                _ => outcomes,
            };
        }

        return outcomes;
    }

    /// <summary>Devices of completed waves (the first <paramref name="completed"/>) still in progress and online.</summary>
    private static int Stragglers(List<RolloutDevice> devices, int completed, Func<RolloutDevice, bool> isDone, Func<RolloutDevice, bool> isOffline)
    {
        var count = 0;
        for (var i = 0; i < Math.Min(completed, devices.Count); i++)
        {
            if (!isDone(devices[i]) && !isOffline(devices[i]))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>When the next wave should start and the bulk end, from the devices' own times so far (or the assumed device time).</summary>
    private static (DateTimeOffset? NextWave, DateTimeOffset? End) Forecast(RolloutInput input, List<RolloutDevice> devices, int wave, RolloutProgress progress, RolloutCounts counts)
    {
        var times = devices.Where(d => d is { State: RolloutDeviceState.Succeeded, StartedAt: not null, ChangedAt: not null } && d.ChangedAt > d.StartedAt)
            .Select(d => d.ChangedAt!.Value - d.StartedAt!.Value).Order().ToList();
        var deviceTime = times.Count > 0 ? times[times.Count / 2] : input.AssumedDeviceTime;
        if (deviceTime is not { } time || progress.BulkCompletedAt is not null)
        {
            return (null, progress.BulkCompletedAt);
        }

        var total = devices.Count;
        var size = WaveSize(input.Policy, wave, total);
        var calendar = devices.Skip(WaveSize(input.Policy, wave - 1, total)).Select(d => d.Windows).GroupBy(k => k ?? "")
            .OrderByDescending(g => g.Count()).Select(g => input.Calendars.GetValueOrDefault(g.Key)).FirstOrDefault();
        var forecast = RolloutForecast.Estimate(new ForecastInput
        {
            Policy = input.Policy,
            Now = input.Now,
            DeviceTime = time,
            WaveSizes = Enumerable.Range(0, input.Policy.Waves.Count).Select(w => WaveSize(input.Policy, w, total)).ToList(),
            CurrentWave = wave,
            DoneInCurrentWave = devices.Take(size).Count(d => RolloutRules.IsDone(d.State, d.Attempts, input.Policy.Retries)),
            InProgress = counts.Scheduled,
            SoakingSince = progress.WaveCompletedAt,
            Calendar = calendar,
            Successes = counts.Succeeded,
        });
        return (forecast.Count > 1 ? forecast[1].Start : null, forecast.Count > 0 ? forecast[^1].End : null);
    }

    private static DateTimeOffset? Earliest(params DateTimeOffset?[] times)
    {
        DateTimeOffset? earliest = null;
        foreach (var time in times)
        {
            if (time is { } at && (earliest is null || at < earliest))
            {
                earliest = at;
            }
        }

        return earliest;
    }
}
