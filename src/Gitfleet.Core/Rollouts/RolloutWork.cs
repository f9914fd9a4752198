using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// One rollout decision for one branch, step by step: (re)start the rollout for a new target, follow deployment
/// outcomes (<c>RolloutWork.Outcomes.cs</c>), settle devices that need nothing, detect drift and abort
/// (<c>RolloutWork.Drift.cs</c>), give the planner its input (<c>RolloutWork.Input.cs</c>), schedule
/// (<c>RolloutWork.Schedule.cs</c>). It changes a working copy of the rollout's devices and collects the writes
/// (<see cref="Written"/>, <see cref="Deployments"/>, <see cref="Configured"/>, <see cref="Aborts"/>); no I/O: the
/// engine reads what it needs before a step and writes the result in one transaction.
/// </summary>
/// <remarks>
/// Rollout devices are the devices that needed a change when the target arrived (or drifted since, with
/// correctDrift). A target device without a row was converged then, so if it differs now with nothing in
/// flight it drifted (Modified).
/// </remarks>
public sealed partial class RolloutWork : IRolloutDeviceView
{
    private readonly TargetIndex target;
    private readonly DeviceEvaluation[] evaluations;
    private readonly DateTimeOffset now;
    private readonly TimeSpan gracePeriod;
    private readonly HashSet<string> changed = new(StringComparer.Ordinal);
    private readonly HashSet<DevicePart> aborts = [];
    private readonly RolloutMemory memory;
    private readonly Func<Guid>? newId;
    private DeploymentBatch? batch;
    private Dictionary<string, long>? prices;

    /// <param name="evaluations">The target's devices compared with their facts (<see cref="DeviceEvaluation.EvaluateAll"/>), in target order.</param>
    /// <param name="rows">The rollout's devices as last written.</param>
    /// <param name="gracePeriod">How long a success counts as in progress (the device has not reported its new state yet).</param>
    /// <param name="memory">What the engine remembers of the rollout between decisions (phases, starts, bases).</param>
    /// <param name="newId">Makes new deployments' ids (version 7 GUIDs unless given).</param>
    public RolloutWork(
        TargetIndex target,
        DeviceEvaluation[] evaluations,
        IReadOnlyDictionary<string, RolloutDeviceRecord> rows,
        RolloutProgress progress,
        DateTimeOffset? startedAt,
        DateTimeOffset now,
        TimeSpan gracePeriod,
        RolloutMemory memory,
        Func<Guid>? newId = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(evaluations);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(memory);
        this.memory = memory;
        this.target = target;
        this.evaluations = evaluations;
        this.now = now;
        this.gracePeriod = gracePeriod;
        this.newId = newId;
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

    /// <summary>Device parts to abort (superseded, of a failed or timed-out device, or of an aborted rollout).</summary>
    public IReadOnlyCollection<DevicePart> Aborts => aborts;

    /// <summary>
    /// The rows to write, in device order (the store's indexes are keyed by device id, so sorted writes stay on
    /// neighbouring pages): every row after a restart (<see cref="Restarted"/>: the old rows are replaced), else the changed ones.
    /// </summary>
    public List<RolloutDeviceRecord> Written =>
        OrdinalOrder.Sorted((Restarted ? Rows.Values : changed.Where(Rows.ContainsKey).Select(id => Rows[id])).ToList(), r => r.DeviceId);

    /// <summary>The deployments this decision creates (OS images first), each traced to the target's commit by the engine.</summary>
    public IReadOnlyList<PlannedDeployment> Deployments => batch?.Build() ?? [];

    /// <summary>The configured maps written with this decision's configuration deployments, in device order.</summary>
    public IReadOnlyList<ConfiguredWrite> Configured => batch is null ? [] : OrdinalOrder.Sorted(batch.Configured.ToList(), c => c.DeviceId);

    /// <summary>Devices that got new deployments (the in-memory pending index is told after the commit).</summary>
    public IEnumerable<string> NewlyDeployed => batch?.DeviceIds ?? [];

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
            RolloutDeviceState.Failed when RolloutRules.RetryLeft(row.State, row.Attempts, target.Policy.Retries) => RolloutDeviceState.Waiting,
            RolloutDeviceState.Aborted => RolloutDeviceState.Waiting,
            var state => state,
        };
    }

    /// <summary>How many of the rollout's devices failed for good (an operator's resume acknowledges them).</summary>
    public int FailedForGood() => Rows.Values.Count(r => RolloutRules.FailedForGood(r.State, r.Attempts, target.Policy.Retries));

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

    /// <summary>The row's in-flight deployments are aborted (the device failed, timed out, or the rollout stopped).</summary>
    private void AbortInFlight(int device, RolloutDeviceRecord row)
    {
        foreach (var deployment in row.Deployments)
        {
            if (IsInFlight(device, deployment))
            {
                aborts.Add(new DevicePart(deployment, row.DeviceId));
            }
        }
    }

    private bool IsForced(string deviceId) => Rows.TryGetValue(deviceId, out var row) && ForcedReinstall.Is(row);

    private void Set(RolloutDeviceRecord row)
    {
        Rows[row.DeviceId] = row.State == Rows.GetValueOrDefault(row.DeviceId)?.State ? row : row with { ChangedAt = now };
        changed.Add(row.DeviceId);
    }
}
