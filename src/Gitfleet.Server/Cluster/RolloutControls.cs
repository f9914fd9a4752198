using System.Diagnostics;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// An operator's pause, resume or abort, from whichever replica received it. A rollout decision is the leader's
/// alone, so a follower checks the request, passes it to the leader through the change feed and answers once the
/// store shows it applied (the leader's own answer of a refusal, rare since both check alike, is its log).
/// </summary>
internal sealed class RolloutControls(RolloutEngine engine, Leadership leadership, IClusterStore? cluster = null)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public async Task<BranchStatus> ControlAsync(string branch, RolloutControl control, CancellationToken cancellationToken)
    {
        if (cluster is null || leadership.IsLeader)
        {
            return await engine.ControlAsync(branch, control, cancellationToken).ConfigureAwait(false);
        }

        await engine.CheckControlAsync(branch, control, cancellationToken).ConfigureAwait(false);
        var before = engine.Status(branch);
        await cluster.Changes.PublishAsync(ChangeKinds.Control, Key(branch, control), cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            if (Applied(engine.Progress(branch), control) && engine.Status(branch) is { } status && !ReferenceEquals(status, before))
            {
                return status;
            }

            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }

        throw DomainException.NotYet($"the leader ({leadership.Leader ?? "none now"}) has not applied the {control.ToString().ToLowerInvariant()} within {Limit.TotalSeconds} s; it is queued: check the branch status");
    }

    /// <summary>The change key: the branch, a slash, the control (branches may hold slashes: the last one splits).</summary>
    public static string Key(string branch, RolloutControl control) => $"{branch}/{control}";

    public static (string Branch, RolloutControl Control)? Parse(string key)
    {
        var slash = key.LastIndexOf('/');
        return slash > 0 && Enum.TryParse<RolloutControl>(key[(slash + 1)..], out var control) ? (key[..slash], control) : null;
    }

    private static bool Applied(Gitfleet.Core.Rollouts.RolloutProgress? progress, RolloutControl control) => progress is not null && control switch
    {
        RolloutControl.Pause => progress.Paused,
        RolloutControl.Resume => !progress.Paused,
        _ => progress.Aborted,
    };
}
