using System.Text.Json;
using Gitfleet.Core.Reconcile;

namespace Gitfleet.Server.Reconcile;

internal sealed partial class RolloutEngine
{
    /// <summary>
    /// Re-reads every branch's record (and its target, when its generation changed) from the store, under the
    /// engine's lock: a follower keeps its statuses current as the leader's decisions and other replicas'
    /// submissions arrive through the change feed, and a replica that becomes leader (<paramref name="forgetObserved"/>)
    /// drops whatever it cached, since another leader may have decided since.
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
                    && await store.GetTargetJsonAsync(record.Branch, cancellationToken).ConfigureAwait(false) is { } json
                    && JsonSerializer.Deserialize(json, ReconcileJson.Context.BranchTarget) is { } target)
                {
                    runtime.Target = new TargetIndex(target, record.TargetGeneration);
                }
            }

            loaded = true;
        }
        finally
        {
            gate.Release();
        }
    }
}
