using System.Globalization;
using System.Text;
using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Cluster;

/// <summary>This replica's part of /metrics: its role (leader or follower) and whether it follows the change feed.</summary>
internal sealed class ReplicaMetrics(Leadership leadership, IClusterStore? cluster = null)
{
    public string Render()
    {
        var replica = leadership.ReplicaName.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var text = new StringBuilder();
        text.Append("# HELP gitfleet_leader 1 on the replica that runs the git watcher and the rollout engine, 0 on the others.\n# TYPE gitfleet_leader gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"gitfleet_leader{{replica=\"{replica}\"}} {(leadership.IsLeader ? 1 : 0)}\n");
        text.Append("# HELP gitfleet_leader_terms_total Terms of leadership this replica began.\n# TYPE gitfleet_leader_terms_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"gitfleet_leader_terms_total{{replica=\"{replica}\"}} {leadership.Terms}\n");
        if (cluster is not null)
        {
            text.Append("# HELP gitfleet_change_feed_connected 1 while this replica follows the store's change feed.\n# TYPE gitfleet_change_feed_connected gauge\n");
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_change_feed_connected{{replica=\"{replica}\"}} {(cluster.Changes.IsConnected ? 1 : 0)}\n");
        }

        return text.ToString();
    }
}
