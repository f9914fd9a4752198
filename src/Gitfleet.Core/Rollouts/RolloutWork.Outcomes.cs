using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Rollouts;

/// <summary>Following deployments: which parts finished, what their outcomes make of each device, timeouts.</summary>
public sealed partial class RolloutWork
{
    /// <summary>Device parts of scheduled devices that are no longer in flight: their outcome must be read.</summary>
    public IReadOnlyList<DevicePart> FinishedParts()
    {
        var parts = new List<DevicePart>();
        foreach (var row in Rows.Values)
        {
            var awaitsLog = row.State == RolloutDeviceState.Failed && FailureReason.AwaitsLog(row.LastError);
            if ((row.State != RolloutDeviceState.Scheduled && !awaitsLog) || !target.TryFind(row.DeviceId, out var i))
            {
                continue;
            }

            foreach (var deployment in row.Deployments)
            {
                if (!IsInFlight(i, deployment))
                {
                    parts.Add(new DevicePart(deployment, row.DeviceId));
                }
            }
        }

        return parts;
    }

    /// <summary>
    /// Moves scheduled devices on by their deployments' outcomes: all succeeded, one failed (with the reason), or
    /// aborted elsewhere. <paramref name="logs"/> are the failed parts' deployment logs by device-deployment id.
    /// </summary>
    public void ApplyOutcomes(IReadOnlyList<PartOutcome> outcomes, IReadOnlyDictionary<string, IReadOnlyList<DeviceLogLine>> logs)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(logs);
        var byPart = outcomes.ToDictionary(o => o.Part);
        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Failed && FailureReason.AwaitsLog(r.LastError)).ToList())
        {
            // The client reports the failure first and sends its log right after: name the reason once it is there.
            var failure = row.Deployments.Select(d => byPart.GetValueOrDefault(new DevicePart(d, row.DeviceId)))
                .FirstOrDefault(r => r?.Result == PartResult.Failure && logs.ContainsKey(r.DeviceDeploymentId));
            if (failure is not null && target.TryFind(row.DeviceId, out var failed))
            {
                Set(row with { LastError = FailureReason.Describe(failure.ToFailedPart(), evaluations[failed].Facts?.DeviceType, logs[failure.DeviceDeploymentId]) });
            }
        }

        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Scheduled).ToList())
        {
            if (target.TryFind(row.DeviceId, out var i))
            {
                ApplyOutcome(i, row, byPart, logs);
            }
        }
    }

    private void ApplyOutcome(int i, RolloutDeviceRecord row, Dictionary<DevicePart, PartOutcome> byPart, IReadOnlyDictionary<string, IReadOnlyList<DeviceLogLine>> logs)
    {
        if (row.Deployments.Count == 0)
        {
            Set(row with { State = RolloutDeviceState.Waiting });
            return;
        }

        var finished = row.Deployments.Where(d => !IsInFlight(i, d)).ToList();
        if (finished.Count == 0)
        {
            return;
        }

        var results = finished.Select(d => byPart.GetValueOrDefault(new DevicePart(d, row.DeviceId))).ToList();
        if (results.FirstOrDefault(r => r?.Result is PartResult.Failure or PartResult.NoArtifact) is { } failure)
        {
            AbortInFlight(i, row);
            if (failure.Result == PartResult.Failure && memory.PhaseOf(row.DeviceId).Phase == UpdatePhase.Paused)
            {
                // A 3.x client restarted while its control map held it fails the deployment ("Mender shut down
                // in state: update-after-store"): an interruption, not a failed update. Offered again, no attempt counted.
                memory.Finished(row.DeviceId);
                Set(row with { State = RolloutDeviceState.Waiting, Attempts = Math.Max(0, row.Attempts - 1), Deployments = [], LastError = null });
                return;
            }

            Set(row with { State = RolloutDeviceState.Failed, LastError = FailureReason.Describe(failure.ToFailedPart(), evaluations[i].Facts?.DeviceType, logs.GetValueOrDefault(failure.DeviceDeploymentId)) });
        }
        else if (finished.Count == row.Deployments.Count && results.FirstOrDefault(r => r is { Result: PartResult.AlreadyInstalled, Kind: DeploymentKind.Os }) is { } claimed
            && evaluations[i].Os.Kind == ActionKind.Update)
        {
            // The device names the image as its installed artifact but runs another one: the client answers
            // every re-send "already-installed", so counting it as success would enrol it again forever.
            Set(row with
            {
                State = RolloutDeviceState.Failed,
                LastError = $"OS image {claimed.ArtifactName}: the device reports it installed but runs {evaluations[i].Os.From ?? "another image"}; "
                    + "the client does not install an artifact of the name it reports (reinstall the image on the device)",
            });
        }
        else if (finished.Count == row.Deployments.Count)
        {
            Set(results.All(r => r?.Result is PartResult.Success or PartResult.AlreadyInstalled)
                ? row with { State = RolloutDeviceState.Succeeded, LastError = null }
                : row with { State = RolloutDeviceState.Aborted, LastError = "its deployment was aborted outside the rollout" });
        }
    }

    /// <summary>Devices waiting for a change they no longer need (another deployment or the device itself got there) succeed.</summary>
    public void SettleWaiting()
    {
        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Waiting).ToList())
        {
            if (target.TryFind(row.DeviceId, out var i) && evaluations[i] is { Missing: false, NeedsChange: false } && !ForcedReinstall.Is(row))
            {
                Set(row with { State = RolloutDeviceState.Succeeded, LastError = null });
            }
        }
    }

    /// <summary>
    /// Notes the phase each scheduled device reports (phase timeouts count from when it was first seen); returns
    /// whether any changed since the last decision (a decision that reuses the last one would miss it).
    /// </summary>
    public bool TrackPhases()
    {
        var before = memory.Version;
        foreach (var row in Rows.Values)
        {
            if (row.State == RolloutDeviceState.Scheduled && target.TryFind(row.DeviceId, out var i))
            {
                memory.Observe(row.DeviceId, PhaseOf(i, row), now);
            }
            else
            {
                memory.Finished(row.DeviceId);
            }
        }

        return memory.Version != before;
    }

    /// <summary>Scheduled devices whose phase timed out: their deployments are aborted and they fail (timed out), to be retried.</summary>
    public void TimeOut(IReadOnlyList<TimedOutDevice> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var (id, reason) in devices)
        {
            if (!Rows.TryGetValue(id, out var row) || row.State != RolloutDeviceState.Scheduled || !target.TryFind(id, out var i))
            {
                continue;
            }

            AbortInFlight(i, row);
            memory.Finished(id);
            Set(row with { State = RolloutDeviceState.Failed, LastError = reason });
        }
    }

    /// <summary>The phase a scheduled device reports for its current deployments: the furthest along of them.</summary>
    private UpdatePhase PhaseOf(int device, RolloutDeviceRecord row)
    {
        var phase = UpdatePhase.Pending;
        if (evaluations[device].Facts is not { } facts)
        {
            return phase;
        }

        foreach (var flight in facts.InFlight)
        {
            if (row.Deployments.Contains(flight.DeploymentId, StringComparer.Ordinal))
            {
                var reported = PhaseTimeout.Of(flight.Status);
                phase = Rank(reported) > Rank(phase) ? reported : phase;
            }
        }

        return phase;

        static int Rank(UpdatePhase p) => p switch
        {
            UpdatePhase.Downloading => 1,
            UpdatePhase.Paused => 2,
            UpdatePhase.Installing => 3,
            UpdatePhase.Rebooting => 4,
            _ => 0,
        };
    }
}
