using Gitfleet.Core.Reconcile;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// A branch's status from one decision: device counts by convergence state (complete), the devices that are not
/// fine with the reason (the first <see cref="MaxIssues"/>), the rollout, and the Ready / Reconciling / Stalled
/// conditions.
/// </summary>
public static class BranchStatusBuilder
{
    public const int MaxIssues = 100;

    /// <param name="transfer">The rollout's bytes over the air (<see cref="Delivery.RolloutTransfer"/>), when it moves OS images.</param>
    public static BranchStatus Build(IBranchStatusSource branch, DeviceEvaluation[]? evaluations, IRolloutDeviceView? work, DateTimeOffset now,
        Delivery.TransferEstimate? transfer = null)
    {
        ArgumentNullException.ThrowIfNull(branch);
        var target = branch.Target;
        var counts = new Counter();
        var issues = new List<DeviceIssue>();
        var waiting = new List<DeviceIssue>();
        var waits = branch.LastDecision?.Waits;
        if (target is not null && evaluations is not null && work is not null)
        {
            for (var i = 0; i < target.Count; i++)
            {
                Count(target, evaluations[i], work, i, now, counts, issues);
                if (waiting.Count < MaxIssues && waits is { Count: > 0 } && waits.TryGetValue(target.DeviceIds[i], out var wait))
                {
                    waiting.Add(new DeviceIssue(target.DeviceIds[i], "waiting", wait.Describe()) { Since = wait.Until });
                }
            }

            foreach (var problem in target.Problems)
            {
                counts.Problems++;
                AddIssue(issues, new DeviceIssue(problem.DeviceId ?? problem.Key, "problem", $"{problem.Code}: {problem.Message}"));
            }
        }

        // Devices that wait say why, after the devices that are not fine (failed, offline, drifted, problems).
        issues.AddRange(waiting.Take(MaxIssues - issues.Count));
        var devices = new DeviceCounts
        {
            Total = (target?.Count ?? 0) + (target?.Problems.Count ?? 0),
            Converged = counts.Converged,
            Pending = counts.Pending,
            InProgress = counts.InProgress,
            Failed = counts.Failed,
            Offline = counts.Offline,
            Modified = counts.Modified,
            Problems = counts.Problems,
        };
        var decision = branch.LastDecision;
        var rollout = target is null || decision is null ? null : new RolloutSummary
        {
            Phase = decision.Phase,
            Wave = Math.Min(decision.Progress.Wave, target.Policy.Waves.Count - 1) + 1,
            Waves = target.Policy.Waves.Count,
            Message = decision.Message,
            StartedAt = branch.StartedAt,
            CompletedAt = decision.Progress.CompletedAt,
            BulkCompletedAt = decision.Progress.BulkCompletedAt,
            Stragglers = decision.Stragglers,
            Held = decision.Held,
            NextWaveAt = decision.NextWaveAt,
            EstimatedEnd = decision.EstimatedEnd,
            Waiting = Group(decision.Waits),
            RevertOf = target.RevertOf,
            Transfer = transfer is { Devices: > 0 } ? transfer : null,
        };
        var status = new BranchStatus
        {
            Branch = branch.Branch,
            LastSeenCommit = branch.LastSeenCommit,
            AppliedCommit = target?.Commit ?? branch.AppliedCommit,
            Rollout = rollout,
            Devices = devices,
            Issues = issues,
            Errors = branch.Errors,
            ObservedAt = now,
            CorrectDrift = target?.CorrectDrift ?? false,
        };
        return status with { Conditions = Conditions(branch, status, now) };
    }

    /// <summary>The status with the branch's record-derived parts (last seen commit, errors, conditions) brought up to date.</summary>
    public static BranchStatus Refresh(IBranchStatusSource branch, BranchStatus previous, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(branch);
        ArgumentNullException.ThrowIfNull(previous);
        var status = previous with { LastSeenCommit = branch.LastSeenCommit, Errors = branch.Errors, ObservedAt = now };
        return status with { Conditions = Conditions(branch, status, now) };
    }

    private static void Count(TargetIndex target, DeviceEvaluation evaluation, IRolloutDeviceView work, int i, DateTimeOffset now, Counter counts, List<DeviceIssue> issues)
    {
        var id = target.DeviceIds[i];
        if (evaluation.Facts is not { } facts)
        {
            counts.Problems++;
            AddIssue(issues, new DeviceIssue(id, "problem", "unknown-device: in the target but no longer known to the server"));
            return;
        }

        var state = Convergence.Classify(facts, evaluation.Os, evaluation.Configuration, work.ClassificationState(i), now, target.Policy.OfflineTimeout);
        var row = work.RowOf(id);
        switch (state)
        {
            case ConvergenceState.Converged:
                counts.Converged++;
                break;
            case ConvergenceState.Pending:
                counts.Pending++;
                break;
            case ConvergenceState.InProgress:
                counts.InProgress++;
                break;
            case ConvergenceState.Failed:
                counts.Failed++;
                AddIssue(issues, new DeviceIssue(id, "failed", row?.LastError ?? "failed") { DeploymentId = row?.DeploymentId, Since = row?.ChangedAt });
                break;
            case ConvergenceState.Offline:
                counts.Offline++;
                AddIssue(issues, new DeviceIssue(id, "offline", facts.LastCheckIn is { } seen ? $"silent since {seen:u}" : "has never checked in") { Since = facts.LastCheckIn });
                break;
            case ConvergenceState.Modified:
                counts.Modified++;
                AddIssue(issues, new DeviceIssue(id, "modified", DriftDescription.Of(evaluation, target.ImageFor(i))) { Since = row?.ChangedAt });
                break;
        }
    }

    /// <summary>Waiting devices grouped by reason and time, the largest groups first (at most twenty groups).</summary>
    private static List<WaitingDevices> Group(IReadOnlyDictionary<string, DeviceWait> waits) =>
        waits.Values.GroupBy(w => w).Select(g => new WaitingDevices(g.Key.Reason, g.Count(), g.Key.Until, g.Key.Describe()) { Detail = g.Key.Detail })
            .OrderByDescending(w => w.Devices).ThenBy(w => w.Until).Take(20).ToList();

    private static void AddIssue(List<DeviceIssue> issues, DeviceIssue issue)
    {
        if (issues.Count < MaxIssues)
        {
            issues.Add(issue);
        }
    }

    private static List<StatusCondition> Conditions(IBranchStatusSource branch, BranchStatus status, DateTimeOffset now)
    {
        var phase = status.Rollout?.Phase;
        var stalled = status.Errors.Count > 0;
        var applied = Short(status.AppliedCommit?.Sha);
        var eligible = status.Devices.Total - status.Devices.Problems;
        (bool Value, string Reason, string Message) ready =
            status.AppliedCommit is null || branch.Target is null ? (false, "NoTarget", branch.TransientError ?? "no commit has been applied yet")
            : stalled ? (false, "Stalled", $"commit {Short(status.LastSeenCommit)} does not validate; {applied} stays applied")
            : branch.Target.RevertOf is { } revert ? (false, "Reverted",
                $"commit {Short(revert.Commit)} was reverted to {applied} ({revert.Reason}); push a fix (gitfleet revert --branch {branch.Branch} prepares the revert in git)")
            : status.IsConverged ? (true, "Converged", $"{status.Devices.Converged} of {eligible} devices converged on {applied}")
            : phase == RolloutPhase.Paused ? (false, "RolloutPaused", status.Rollout!.Message)
            : status.Devices.Failed > 0 ? (false, "DevicesFailed", $"{status.Devices.Failed} of {eligible} devices failed")
            : (false, "Progressing", status.Rollout?.Message ?? $"rolling out {applied}");
        (bool Value, string Reason, string Message) reconciling =
            branch.TransientError is { } error ? (true, "RetryingAfterError", error)
            : branch.Target is null ? (!stalled, "WaitingForTarget", "waiting for a commit to apply")
            : phase is RolloutPhase.Progressing or RolloutPhase.Soaking ? (true, phase == RolloutPhase.Soaking ? "Soaking" : "Progressing", status.Rollout!.Message)
            : (false, phase?.ToString() ?? "Idle", status.Rollout?.Message ?? "");
        (bool Value, string Reason, string Message) stall = stalled
            ? (true, "ValidationFailed", $"commit {Short(status.LastSeenCommit)} does not validate ({status.Errors.Count} errors); "
                + (status.AppliedCommit is null ? "nothing is applied until a commit validates" : $"the last good commit {applied} keeps rolling out"))
            : (false, "Valid", "");
        return
        [
            Condition(StatusCondition.Ready, ready),
            Condition(StatusCondition.Reconciling, reconciling),
            Condition(StatusCondition.Stalled, stall),
        ];

        StatusCondition Condition(string type, (bool Value, string Reason, string Message) c) =>
            new(type, c.Value, c.Reason, c.Message, branch.TransitionTime(type, c.Value, now));
    }

    private static string Short(string? sha) => sha is null ? "nothing" : sha.Length > 12 ? sha[..12] : sha;

    private sealed class Counter
    {
        public int Converged;
        public int Pending;
        public int InProgress;
        public int Failed;
        public int Offline;
        public int Modified;
        public int Problems;
    }
}
