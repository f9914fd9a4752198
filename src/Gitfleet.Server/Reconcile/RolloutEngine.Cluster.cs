using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Domain;

namespace Gitfleet.Server.Reconcile;

internal sealed partial class RolloutEngine
{
    /// <summary>
    /// Re-reads every branch's record (and its target, when its generation changed) from the store, under the
    /// engine's lock: a follower keeps its statuses current as the leader's decisions and other replicas'
    /// submissions arrive through the change feed, and a replica that becomes leader (<paramref name="forgetObserved"/>)
    /// drops whatever it cached, since another leader may have decided since. The install holds (maintenance windows,
    /// pause) follow, so a follower holds and releases gated devices as the leader does.
    /// </summary>
    public async Task RefreshAsync(bool forgetObserved, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (forgetObserved)
            {
                observed = null;
            }

            foreach (var record in await store.ListBranchesAsync(cancellationToken).ConfigureAwait(false))
            {
                var runtime = branches.GetOrAdd(record.Branch, b => new BranchRuntime(b));
                if (forgetObserved || runtime.Record != record)
                {
                    runtime.Rows = null;
                    runtime.LastDecision = null;
                    runtime.Evaluations = null;
                    runtime.EvaluatedGeneration = -1;
                }

                runtime.Record = record;
                if (runtime.Target?.Generation != record.TargetGeneration
                    && await store.GetTargetAsync(record.Branch, cancellationToken).ConfigureAwait(false) is { } target)
                {
                    runtime.Target = new TargetIndex(target, record.TargetGeneration);
                }

                // The device API answers installs from memory on every replica: the leader's windows and pause here too.
                if (runtime.Target is { } index)
                {
                    PublishHolds(runtime, index);
                    holds.SetPaused(record.Branch, record.Progress.Paused);
                }
            }

            loaded = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Shows the leader's status of a branch on this replica (a follower does not decide, so it cannot build one).
    /// Ignored while this replica leads: its own decisions are newer.
    /// </summary>
    public void AdoptStatus(BranchStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        branches.GetOrAdd(status.Branch, b => new BranchRuntime(b)).Status = status;
    }

    /// <summary>The branch's rollout progress as this replica last read it from the store.</summary>
    public RolloutProgress? Progress(string branch) => branches.TryGetValue(branch, out var runtime) ? runtime.Record?.Progress : null;

    /// <summary>
    /// Whether <paramref name="control"/> can apply to the branch as this replica knows it (a follower checks before
    /// passing the control to the leader, which checks again under its lock).
    /// </summary>
    public async Task CheckControlAsync(string branch, RolloutControl control, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        var runtime = branches.GetValueOrDefault(branch) ?? throw DomainException.NotFound($"branch '{branch}' is not reconciled by this server");
        var target = runtime.Target ?? throw DomainException.Conflict($"branch '{branch}' has no rollout: no target has been applied");
        if (control == RolloutControl.Resume && runtime.Record?.Progress.Aborted == true)
        {
            throw DomainException.Conflict($"the rollout of {target.Commit.ShortSha} on '{branch}' was aborted; apply a new commit (or the same target again after a change) to start a new one");
        }
    }
}
