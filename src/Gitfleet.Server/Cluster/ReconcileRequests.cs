using Gitfleet.Server.Reconcile.Git;
using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// "Reconcile this branch now" (a push webhook), from whichever replica received it: the leader's watcher is
/// triggered directly; a follower passes the request to the leader through the change feed.
/// </summary>
internal sealed class ReconcileRequests(GitWatcher watcher, Leadership leadership, IClusterStore? cluster = null)
{
    public bool Watches(string branch) => watcher.Watches(branch);

    public async Task RequestAsync(string branch, CancellationToken cancellationToken)
    {
        if (cluster is null || leadership.IsLeader)
        {
            watcher.Trigger(branch);
            return;
        }

        await cluster.Changes.PublishAsync(ChangeKinds.ReconcileRequest, branch, cancellationToken).ConfigureAwait(false);
    }
}
