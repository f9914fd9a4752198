using Gitfleet.Core.Delivery;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Rollouts;
using Gitfleet.Core.Fleet;
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
internal sealed class RolloutWork : IRolloutDeviceView
{
    private readonly TargetIndex target;
    private readonly DeviceEvaluation[] evaluations;
    private readonly DateTimeOffset now;
    private readonly TimeSpan gracePeriod;
    private readonly HashSet<string> changed = new(StringComparer.Ordinal);
    private readonly HashSet<DevicePart> aborts = [];
    private readonly RolloutMemory memory;
    private DeploymentBatch? batch;
    private Dictionary<string, long>? prices;

    public RolloutWork(
        TargetIndex target,
        DeviceEvaluation[] evaluations,
        IReadOnlyDictionary<string, RolloutDeviceRecord> rows,
        RolloutProgress progress,
        DateTimeOffset? startedAt,
        DateTimeOffset now,
        TimeSpan gracePeriod,
        RolloutMemory? memory = null)
    {
        this.memory = memory ?? new RolloutMemory();
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
            memory.Clear();
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
                Set(row with { LastError = FailureReason.Describe(failure.ToFailedPart(), evaluations[failed].Facts?.DeviceType, logs[failure.DeviceDeploymentId].ToLogLines()) });
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
                if (failure.Status == DeviceDeploymentStatus.Failure && memory.PhaseOf(row.DeviceId).Phase == UpdatePhase.Paused)
                {
                    // A 3.x client restarted while its control map held it fails the deployment ("Mender shut down
                    // in state: update-after-store"): an interruption, not a failed update. Offered again, no attempt counted.
                    foreach (var open in row.Deployments.Where(d => IsInFlight(i, d)))
                    {
                        aborts.Add(new DevicePart(open, row.DeviceId));
                    }

                    memory.Finished(row.DeviceId);
                    Set(row with { State = RolloutDeviceState.Waiting, Attempts = Math.Max(0, row.Attempts - 1), Deployments = [], LastError = null });
                    continue;
                }

                foreach (var open in row.Deployments.Where(d => IsInFlight(i, d)))
                {
                    aborts.Add(new DevicePart(open, row.DeviceId));
                }

                var log = logs.GetValueOrDefault(failure.DeviceDeploymentId);
                Set(row with { State = RolloutDeviceState.Failed, LastError = FailureReason.Describe(failure.ToFailedPart(), evaluations[i].Facts?.DeviceType, log.ToLogLines()) });
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
            if (target.TryFind(row.DeviceId, out var i) && evaluations[i] is { Missing: false, NeedsChange: false } && !ForcedReinstall.Is(row))
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

    /// <param name="costs">The catalog's prices, when the branch has a byte budget: each device's download is priced.</param>
    public RolloutInput ToInput(string seed, TransferCosts? costs = null) => new()
    {
        Policy = target.Policy,
        DownloadBytes = costs is null ? new Dictionary<string, long>() : prices = Prices(costs),
        Progress = Progress,
        Now = now,
        Seed = seed,
        DependsOn = target.DependsOn,
        Calendars = target.Calendars,
        DeclaredPause = target.Paused,
        Devices = Rows.Values.Where(r => target.TryFind(r.DeviceId, out _)).Select(r =>
        {
            target.TryFind(r.DeviceId, out var i);
            var scheduled = r.State == RolloutDeviceState.Scheduled;
            var (phase, since) = scheduled ? memory.PhaseOf(r.DeviceId) : (UpdatePhase.Pending, null);
            return new RolloutDevice
            {
                Key = r.DeviceId,
                State = r.State,
                Attempts = r.Attempts,
                Groups = target.GroupsFor(i),
                LastCheckIn = evaluations[i].Facts?.LastCheckIn,
                LastError = r.LastError,
                Failure = r.State == RolloutDeviceState.Failed ? FailureReason.KindOf(r.LastError) : null,
                StartedAt = memory.StartOf(r.DeviceId) ?? (scheduled ? r.ChangedAt : null),
                ChangedAt = r.ChangedAt,
                Phase = phase,
                PhaseSince = since,
                Windows = target.WindowsOf[i],
            };
        }).ToList(),
    };

    /// <summary>
    /// What each rollout device downloads: a started device what its start was priced at; a device still to start
    /// (or started before this server did) its delta or full image from the catalog, as <c>plan</c> estimates it;
    /// nothing for a configuration-only change.
    /// </summary>
    private Dictionary<string, long> Prices(TransferCosts costs)
    {
        var result = new Dictionary<string, long>(Rows.Count, StringComparer.Ordinal);
        foreach (var row in Rows.Values)
        {
            var due = row.State is RolloutDeviceState.Waiting or RolloutDeviceState.Failed;
            if (!due && memory.DownloadOf(row.DeviceId) is { } priced)
            {
                result[row.DeviceId] = priced;
            }
            else if (target.TryFind(row.DeviceId, out var i) && evaluations[i] is { Facts: { } facts, Os: { To: { } to } os }
                && (os.Kind is ActionKind.Update or ActionKind.InFlight || IsForced(row.DeviceId)))
            {
                var cost = costs.Cost(new TransferDevice(row.DeviceId, facts.DeviceType, os.From, to, DeltaSupport.Applies(facts.Attributes)));
                result[row.DeviceId] = cost.BytesEach ?? 0;
            }
        }

        return result;
    }

    /// <summary>
    /// The rollout's devices that download an OS image, each with how far its download is, for the status's bytes
    /// over the air. A device's base is the image it ran when a decision first saw it need the update (noted in the
    /// memory here, since a finished device runs the target): devices that finished before this server started are
    /// not known to have moved an image and are left out.
    /// </summary>
    public List<(TransferDevice Device, DownloadProgress Progress)> NoteTransferDevices()
    {
        var result = new List<(TransferDevice, DownloadProgress)>();
        foreach (var row in Rows.Values)
        {
            if (!target.TryFind(row.DeviceId, out var i) || evaluations[i].Facts is not { } facts)
            {
                continue;
            }

            var os = evaluations[i].Os;
            string? from;
            if (os.Kind is ActionKind.Update or ActionKind.InFlight || IsForced(row.DeviceId))
            {
                from = os.From;
                memory.NoteBase(row.DeviceId, from);
                memory.TryBase(row.DeviceId, out from);
            }
            else if (!memory.TryBase(row.DeviceId, out from))
            {
                continue;
            }

            var progress = RolloutTransfer.ProgressOf(row.State, memory.PhaseOf(row.DeviceId).Phase, retryLeft: row.Attempts <= target.Policy.Retries);
            result.Add((new TransferDevice(row.DeviceId, facts.DeviceType, from, target.ImageFor(i), DeltaSupport.Applies(facts.Attributes)), progress));
        }

        return result;
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
        foreach (var (id, reason) in devices)
        {
            if (!Rows.TryGetValue(id, out var row) || row.State != RolloutDeviceState.Scheduled || !target.TryFind(id, out var i))
            {
                continue;
            }

            foreach (var deployment in row.Deployments.Where(d => IsInFlight(i, d)))
            {
                aborts.Add(new DevicePart(deployment, id));
            }

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

    private bool IsForced(string deviceId) => Rows.TryGetValue(deviceId, out var row) && ForcedReinstall.Is(row);

    /// <summary>Images the devices to schedule need deployed (their artifacts are looked up before <see cref="Schedule"/>).</summary>
    public IReadOnlySet<string> ImagesFor(IEnumerable<string> deviceIds) =>
        deviceIds.Select(id => target.TryFind(id, out var i) && (evaluations[i].Os.Kind == ActionKind.Update || IsForced(id)) ? target.ImageFor(i) : null)
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

            var forced = ForcedReinstall.Is(row) && evaluation.Os.Kind == ActionKind.None;
            if (!evaluation.NeedsSchedule && !forced)
            {
                if (evaluation.InFlight)
                {
                    memory.Started(id, now);
                }

                Set(evaluation.InFlight
                    ? row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = evaluation.DesiredInFlight(image), LastError = null }
                    : row with { State = RolloutDeviceState.Succeeded, LastError = null });
                continue;
            }

            var tracked = new List<string>(2);
            var deviceType = evaluation.Facts!.DeviceType;
            if (evaluation.Os.Kind == ActionKind.Update || forced)
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
            memory.Started(id, now, prices?.GetValueOrDefault(id));
            Set(row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = tracked, LastError = forced ? row.LastError : null });
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

    /// <summary>The device's row as a status shows it (its last error, first deployment and last change), null when it has none.</summary>
    public RolloutRowSummary? RowOf(string deviceId) =>
        Rows.GetValueOrDefault(deviceId) is { } row ? new RolloutRowSummary(row.LastError, row.Deployments.FirstOrDefault(), row.ChangedAt) : null;

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
            if (!evaluation.Missing && target.IsForced(i) && evaluation.Os.Kind == ActionKind.None)
            {
                // images.NAME.force: the device runs the image already and gets it again, once per rollout.
                Rows[id] = new RolloutDeviceRecord(id, RolloutDeviceState.Waiting, 0, [], ForcedReinstall.Reason(target.ImageFor(i)), now);
                changed.Add(id);
            }

            return;
        }

        if (!evaluation.NeedsSchedule)
        {
            memory.Started(id, now);
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
