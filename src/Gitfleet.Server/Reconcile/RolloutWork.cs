using Gitfleet.Core.Planning;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// One rollout decision for one branch, step by step: (re)start the rollout for a new target, follow deployment
/// outcomes, settle devices that need nothing, detect drift, abort superseded deployments, let the planner
/// decide, schedule. It changes a working copy of the rollout's devices and collects the writes; nothing reaches
/// the store until <see cref="ToCommit"/>, which the engine writes in one transaction.
/// </summary>
/// <remarks>
/// Rollout devices are the devices that needed a change when the target arrived (or drifted since, with
/// correctDrift). A target device without a row was converged then, so if it differs now with nothing in
/// flight it drifted (Modified).
/// </remarks>
internal sealed class RolloutWork
{
    private readonly TargetIndex target;
    private readonly DeviceEvaluation[] evaluations;
    private readonly DateTimeOffset now;
    private readonly TimeSpan gracePeriod;
    private readonly HashSet<string> changed = new(StringComparer.Ordinal);
    private readonly HashSet<DevicePart> aborts = [];
    private DeploymentBatch? batch;

    public RolloutWork(
        TargetIndex target,
        DeviceEvaluation[] evaluations,
        IReadOnlyDictionary<string, RolloutDeviceRecord> rows,
        RolloutProgress progress,
        DateTimeOffset? startedAt,
        DateTimeOffset now,
        TimeSpan gracePeriod)
    {
        this.target = target;
        this.evaluations = evaluations;
        this.now = now;
        this.gracePeriod = gracePeriod;
        Rows = new Dictionary<string, RolloutDeviceRecord>(rows, StringComparer.Ordinal);
        Progress = progress;
        StartedAt = startedAt;
    }

    /// <summary>The rollout's devices after this decision.</summary>
    public Dictionary<string, RolloutDeviceRecord> Rows { get; private set; }

    public RolloutProgress Progress { get; set; }

    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>The rollout was started anew (all its devices are written again).</summary>
    public bool Restarted { get; private set; }

    public bool RowsChanged => Restarted || changed.Count > 0;

    public IReadOnlyCollection<DevicePart> Aborts => aborts;

    /// <summary>
    /// A new target. For a new commit the waves start over; for the same commit (new members, a changed
    /// secret) the rollout goes on and only devices whose desired state changed are enrolled again.
    /// </summary>
    public void Restart(TargetIndex? sameCommitPrevious)
    {
        var previous = Rows;
        Rows = new Dictionary<string, RolloutDeviceRecord>(StringComparer.Ordinal);
        Restarted = true;
        if (sameCommitPrevious is null)
        {
            Progress = RolloutProgress.Start;
            StartedAt = now;
        }

        for (var i = 0; i < target.Count; i++)
        {
            var id = target.DeviceIds[i];
            if (sameCommitPrevious is not null && sameCommitPrevious.TryFind(id, out var before) && target.SameDesiredState(i, sameCommitPrevious, before))
            {
                if (previous.TryGetValue(id, out var kept))
                {
                    Rows[id] = kept;
                }

                continue;
            }

            Enroll(i);
        }

        ReopenIfNeeded();
    }

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

    /// <summary>Moves scheduled devices on by their deployments' outcomes: all succeeded, one failed (with the reason), or aborted elsewhere.</summary>
    public void ApplyOutcomes(IReadOnlyList<DevicePartOutcome> outcomes, IReadOnlyDictionary<string, IReadOnlyList<DeploymentLogMessage>> logs)
    {
        var byPart = outcomes.ToDictionary(o => new DevicePart(o.DeploymentId, o.DeviceId));
        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Failed && FailureReason.AwaitsLog(r.LastError)).ToList())
        {
            // The client reports the failure first and sends its log right after: name the reason once it is there.
            var failure = row.Deployments.Select(d => byPart.GetValueOrDefault(new DevicePart(d, row.DeviceId)))
                .FirstOrDefault(r => r?.Status == DeviceDeploymentStatus.Failure && logs.ContainsKey(r.DeviceDeploymentId));
            if (failure is not null && target.TryFind(row.DeviceId, out var failed))
            {
                Set(row with { LastError = FailureReason.Describe(failure, evaluations[failed].Facts?.DeviceType, logs[failure.DeviceDeploymentId]) });
            }
        }

        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Scheduled).ToList())
        {
            if (!target.TryFind(row.DeviceId, out var i))
            {
                continue;
            }

            if (row.Deployments.Count == 0)
            {
                Set(row with { State = RolloutDeviceState.Waiting });
                continue;
            }

            var finished = row.Deployments.Where(d => !IsInFlight(i, d)).ToList();
            if (finished.Count == 0)
            {
                continue;
            }

            var results = finished.Select(d => byPart.GetValueOrDefault(new DevicePart(d, row.DeviceId))).ToList();
            if (results.FirstOrDefault(r => r?.Status is DeviceDeploymentStatus.Failure or DeviceDeploymentStatus.NoArtifact) is { } failure)
            {
                foreach (var open in row.Deployments.Where(d => IsInFlight(i, d)))
                {
                    aborts.Add(new DevicePart(open, row.DeviceId));
                }

                var log = logs.GetValueOrDefault(failure.DeviceDeploymentId);
                Set(row with { State = RolloutDeviceState.Failed, LastError = FailureReason.Describe(failure, evaluations[i].Facts?.DeviceType, log) });
            }
            else if (finished.Count == row.Deployments.Count && results.FirstOrDefault(r => r is { Status: DeviceDeploymentStatus.AlreadyInstalled, Kind: DeploymentKinds.Os }) is { } claimed
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
                Set(results.All(r => r?.Status is DeviceDeploymentStatus.Success or DeviceDeploymentStatus.AlreadyInstalled)
                    ? row with { State = RolloutDeviceState.Succeeded, LastError = null }
                    : row with { State = RolloutDeviceState.Aborted, LastError = "its deployment was aborted outside the rollout" });
            }
        }
    }

    /// <summary>Devices waiting for a change they no longer need (another deployment or the device itself got there) succeed.</summary>
    public void SettleWaiting()
    {
        foreach (var row in Rows.Values.Where(r => r.State == RolloutDeviceState.Waiting).ToList())
        {
            if (target.TryFind(row.DeviceId, out var i) && evaluations[i] is { Missing: false, NeedsChange: false })
            {
                Set(row with { State = RolloutDeviceState.Succeeded, LastError = null });
            }
        }
    }

    /// <summary>
    /// Devices that were converged for this target and now differ with nothing in flight drifted (Modified);
    /// with <paramref name="correct"/> they are enrolled again. Returns how many were enrolled.
    /// </summary>
    public int CorrectDrift(bool correct)
    {
        if (!correct)
        {
            return 0;
        }

        var enrolled = 0;
        for (var i = 0; i < target.Count; i++)
        {
            if (ClassificationState(i) == RolloutDeviceState.Succeeded && evaluations[i] is { Missing: false, NeedsChange: true, InFlight: false })
            {
                var id = target.DeviceIds[i];
                Set(new RolloutDeviceRecord(id, RolloutDeviceState.Waiting, 0, [], "drifted from the desired state: " + DriftDescription.Of(evaluations[i], target.ImageFor(i)), now));
                enrolled++;
            }
        }

        ReopenIfNeeded();
        return enrolled;
    }

    /// <summary>In-flight deployments to something the target no longer wants are aborted (the planner's supersedes).</summary>
    public void AbortSuperseded()
    {
        for (var i = 0; i < target.Count; i++)
        {
            var evaluation = evaluations[i];
            foreach (var deployment in evaluation.Os.Supersedes.Concat(evaluation.Configuration.Supersedes))
            {
                aborts.Add(new DevicePart(deployment, target.DeviceIds[i]));
            }
        }
    }

    /// <summary>Stops the rollout: unfinished deployments of its devices are aborted, devices not done are left out.</summary>
    public void Abort(string reason)
    {
        foreach (var row in Rows.Values.ToList())
        {
            if (row.State == RolloutDeviceState.Scheduled && target.TryFind(row.DeviceId, out var i))
            {
                foreach (var deployment in row.Deployments.Where(d => IsInFlight(i, d)))
                {
                    aborts.Add(new DevicePart(deployment, row.DeviceId));
                }
            }

            if (row.State is RolloutDeviceState.Scheduled or RolloutDeviceState.Waiting
                || (row.State == RolloutDeviceState.Failed && row.Attempts <= target.Policy.Retries))
            {
                Set(row with { State = RolloutDeviceState.Aborted, LastError = reason });
            }
        }

        Progress = Progress with { Aborted = true };
    }

    /// <summary>Which rollout devices are offline and not done (a count and a hash of their ids): what time alone changes in a decision.</summary>
    public (int Count, int Hash) Offline()
    {
        var (count, hash) = (0, 0);
        foreach (var row in Rows.Values)
        {
            var done = row.State is RolloutDeviceState.Succeeded or RolloutDeviceState.Aborted
                || (row.State == RolloutDeviceState.Failed && row.Attempts > target.Policy.Retries);
            if (done || !target.TryFind(row.DeviceId, out var i))
            {
                continue;
            }

            var seen = evaluations[i].Facts?.LastCheckIn;
            if (seen is null || now - seen.Value > target.Policy.OfflineTimeout)
            {
                count++;
                hash ^= StringComparer.Ordinal.GetHashCode(row.DeviceId);
            }
        }

        return (count, hash);
    }

    public RolloutInput ToInput(string seed) => new()
    {
        Policy = target.Policy,
        Progress = Progress,
        Now = now,
        Seed = seed,
        DependsOn = target.DependsOn,
        Devices = Rows.Values.Where(r => target.TryFind(r.DeviceId, out _)).Select(r =>
        {
            target.TryFind(r.DeviceId, out var i);
            return new RolloutDevice
            {
                Key = r.DeviceId,
                State = r.State,
                Attempts = r.Attempts,
                Groups = target.GroupsFor(i),
                LastCheckIn = evaluations[i].Facts?.LastCheckIn,
                LastError = r.LastError,
            };
        }).ToList(),
    };

    /// <summary>Images the devices to schedule need deployed (their artifacts are looked up before <see cref="Schedule"/>).</summary>
    public IReadOnlySet<string> ImagesFor(IEnumerable<string> deviceIds) =>
        deviceIds.Select(id => target.TryFind(id, out var i) && evaluations[i].Os.Kind == ActionKind.Update ? target.ImageFor(i) : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Creates the deployments for the devices the planner scheduled.</summary>
    public void Schedule(IReadOnlyList<string> deviceIds, IReadOnlyDictionary<string, IReadOnlyList<ArtifactRecord>> artifacts)
    {
        batch ??= new DeploymentBatch(target, now);
        foreach (var id in deviceIds)
        {
            if (!target.TryFind(id, out var i) || !Rows.TryGetValue(id, out var row))
            {
                continue;
            }

            var evaluation = evaluations[i];
            var image = target.ImageFor(i);
            if (evaluation.Missing)
            {
                Set(row with { State = RolloutDeviceState.Aborted, Deployments = [], LastError = "the device no longer exists on the server" });
                continue;
            }

            if (!evaluation.NeedsSchedule)
            {
                Set(evaluation.InFlight
                    ? row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = evaluation.DesiredInFlight(image), LastError = null }
                    : row with { State = RolloutDeviceState.Succeeded, LastError = null });
                continue;
            }

            var tracked = new List<string>(2);
            var deviceType = evaluation.Facts!.DeviceType;
            if (evaluation.Os.Kind == ActionKind.Update)
            {
                if (artifacts.GetValueOrDefault(image) is not { Count: > 0 } candidates)
                {
                    Set(row with
                    {
                        State = RolloutDeviceState.Failed,
                        Attempts = row.Attempts + 1,
                        Deployments = [],
                        LastError = $"no artifact named '{image}' on the server (upload it; a retry or resume picks it up)",
                    });
                    continue;
                }

                tracked.Add(batch.AddOs(image, id, deviceType, candidates));
            }

            if (evaluation.Configuration.Kind == ActionKind.Update)
            {
                tracked.Add(batch.AddConfiguration(target.ConfigurationOf[i], id, deviceType));
            }

            tracked.AddRange(evaluation.DesiredInFlight(image));
            Set(row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = tracked, LastError = null });
        }
    }

    public RolloutCommit ToCommit(long generation) => new()
    {
        Branch = target.Branch,
        Generation = generation,
        Progress = Progress,
        StartedAt = StartedAt,
        ReplaceDevices = Restarted,
        // In device order: the store's indexes are keyed by device id, so sorted writes stay on neighbouring pages.
        Devices = Sorted((Restarted ? Rows.Values : changed.Where(Rows.ContainsKey).Select(id => Rows[id])).ToList(), r => r.DeviceId),
        Deployments = batch?.Build() ?? [],
        Configured = batch is null ? [] : Sorted(batch.Configured.ToList(), c => c.DeviceId),
        Aborts = [.. aborts],
        Now = now,
    };

    /// <summary>The list in ordinal order of <paramref name="key"/>; already sorted lists (the usual case) are only checked.</summary>
    internal static List<T> Sorted<T>(List<T> items, Func<T, string> key)
    {
        for (var i = 1; i < items.Count; i++)
        {
            if (string.CompareOrdinal(key(items[i - 1]), key(items[i])) > 0)
            {
                items.Sort((a, b) => string.CompareOrdinal(key(a), key(b)));
                break;
            }
        }

        return items;
    }

    /// <summary>Devices that got new deployments (the in-memory pending index is told after the commit).</summary>
    public IEnumerable<string> NewlyDeployed => batch?.DeviceIds ?? [];

    /// <summary>
    /// The rollout state <see cref="Gitfleet.Core.Reconcile.Convergence.Classify"/> sees for target device <paramref name="i"/>:
    /// no row means converged when the rollout started; a success within the grace period is still in progress
    /// (the device has not reported its new state yet); a failure with retries left, or a device left out, waits.
    /// </summary>
    public RolloutDeviceState ClassificationState(int i)
    {
        if (!Rows.TryGetValue(target.DeviceIds[i], out var row))
        {
            return RolloutDeviceState.Succeeded;
        }

        return row.State switch
        {
            RolloutDeviceState.Succeeded when now - row.ChangedAt < gracePeriod => RolloutDeviceState.Scheduled,
            RolloutDeviceState.Failed when row.Attempts <= target.Policy.Retries => RolloutDeviceState.Waiting,
            RolloutDeviceState.Aborted => RolloutDeviceState.Waiting,
            var state => state,
        };
    }

    private void Enroll(int i)
    {
        var evaluation = evaluations[i];
        var id = target.DeviceIds[i];
        if (evaluation.Missing || !evaluation.NeedsChange)
        {
            return;
        }

        Rows[id] = evaluation.NeedsSchedule
            ? new RolloutDeviceRecord(id, RolloutDeviceState.Waiting, 0, [], null, now)
            : new RolloutDeviceRecord(id, RolloutDeviceState.Scheduled, 1, evaluation.DesiredInFlight(target.ImageFor(i)), null, now);
        changed.Add(id);
    }

    /// <summary>A completed rollout with devices to do again is running again.</summary>
    private void ReopenIfNeeded()
    {
        if (Progress.CompletedAt is not null && Rows.Values.Any(r => r.State == RolloutDeviceState.Waiting))
        {
            Progress = Progress with { CompletedAt = null };
        }
    }

    private bool IsInFlight(int device, string deploymentId)
    {
        var facts = evaluations[device].Facts;
        if (facts is null)
        {
            return false;
        }

        foreach (var flight in facts.InFlight)
        {
            if (flight.DeploymentId == deploymentId)
            {
                return true;
            }
        }

        return false;
    }

    private void Set(RolloutDeviceRecord row)
    {
        Rows[row.DeviceId] = row.State == Rows.GetValueOrDefault(row.DeviceId)?.State ? row : row with { ChangedAt = now };
        changed.Add(row.DeviceId);
    }
}
