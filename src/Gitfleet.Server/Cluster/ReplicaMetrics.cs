using Gitfleet.Server.Metrics;
using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// This replica's part of /metrics, read when Prometheus scrapes: <c>gitfleet_leader</c> (1 on the replica that
/// runs the git watcher and the rollout engine, 0 on the others), the terms of leadership it began, and whether it
/// follows the store's change feed (replicas on PostgreSQL only).
/// </summary>
internal sealed class ReplicaMetrics
{
    public ReplicaMetrics(ServerMetrics metrics, Leadership leadership, IClusterStore? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(leadership);
        var terms = metrics.Factory.CreateGauge("gitfleet_leader_terms", "Terms of leadership this replica began since it started.");
        var feed = cluster is null ? null
            : metrics.Factory.CreateGauge("gitfleet_change_feed_connected", "1 while this replica follows the store's change feed.");
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            metrics.Leader.Set(leadership.IsLeader ? 1 : 0);
            terms.Set(leadership.Terms);
            feed?.Set(cluster!.Changes.IsConnected ? 1 : 0);
        });
    }
}
