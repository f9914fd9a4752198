namespace Gitfleet.Storage.Cluster;

/// <summary>
/// One committed change that replicas serving from memory must apply: a kind (see <see cref="ChangeKinds"/>) and
/// the key it concerns. It names what changed, not the new value: a replica reads the current value from the store.
/// </summary>
public sealed record Change(long Seq, string Kind, string Key);

/// <summary>The kinds of <see cref="Change"/>.</summary>
public static class ChangeKinds
{
    /// <summary>A device's authorization status changed, or it was added or removed (key: device id).</summary>
    public const string Device = "device";

    /// <summary>
    /// A device's stored inventory digest changed (an inventory PUT or PATCH; key: device id): replicas forget the
    /// digest they hold, so an unchanged-looking PUT is compared with the store again.
    /// </summary>
    public const string Inventory = "inventory";

    /// <summary>One of a device's auth sets was added, removed or changed status (key: device id): replicas drop the accepted key they hold.</summary>
    public const string AuthSet = "authset";

    /// <summary>A device got an unfinished deployment, or one of its deployments finished (key: device id).</summary>
    public const string Pending = "pending";

    /// <summary>A personal access token was created or revoked (key: token id).</summary>
    public const string AccessToken = "token";

    /// <summary>A login session was revoked by logout (key: token id).</summary>
    public const string RevokedToken = "revoked";

    /// <summary>A branch target was stored (key: branch): the leader's rollout engine runs.</summary>
    public const string Target = "target";

    /// <summary>A branch's rollout progress or control changed (key: branch): replicas re-read its status.</summary>
    public const string Branch = "branch";

    /// <summary>The leader published a branch's status (key: branch): replicas show it.</summary>
    public const string Status = "status";

    /// <summary>A replica passes an operator's rollout control to the leader (key: <c>branch/control</c>).</summary>
    public const string Control = "control";

    /// <summary>An OS artifact was uploaded or deleted (key: artifact id): replicas drop their image lookup.</summary>
    public const string Artifact = "artifact";

    /// <summary>A replica asks the leader to reconcile a branch now (a webhook arrived there; key: branch, or "*").</summary>
    public const string ReconcileRequest = "reconcile";
}

/// <summary>What a replica receives from the feed.</summary>
/// <param name="Changes">The changes, in commit order.</param>
/// <param name="Reset">True when changes were missed for good (pruned while this replica was away): reload every view.</param>
public sealed record ChangeBatch(IReadOnlyList<Change> Changes, bool Reset)
{
    /// <summary>
    /// The feed position once this batch is applied: the last change's number, or for a reset the position read
    /// before it. A replica that applied a batch holds every change up to here (changes are numbered in commit order).
    /// </summary>
    public long Through { get; init; }
}

/// <summary>
/// Committed changes, in commit order, to every replica: a durable change table (catch-up after a missed
/// notification, a reconnect or a restart) plus a wake-up notification so a change arrives in milliseconds.
/// </summary>
public interface IChangeFeed
{
    /// <summary>The position of the newest change: read it before loading the views, then follow from it.</summary>
    Task<long> PositionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Delivers every change after <paramref name="position"/> to <paramref name="onBatch"/>, in order, until
    /// cancelled; reconnects by itself when the database goes away (telling <paramref name="onConnectionLost"/>)
    /// and catches up from where it was.
    /// </summary>
    Task FollowAsync(long position, Func<ChangeBatch, CancellationToken, Task> onBatch, Action<Exception> onConnectionLost, CancellationToken cancellationToken);

    /// <summary>True while the feed is connected and caught up (part of readiness).</summary>
    bool IsConnected { get; }

    /// <summary>Appends a change that no table write produces (a replica asking the leader to reconcile).</summary>
    Task PublishAsync(string kind, string key, CancellationToken cancellationToken);

    /// <summary>Deletes changes older than <paramref name="age"/> (the leader does it now and then).</summary>
    Task<int> PruneAsync(TimeSpan age, CancellationToken cancellationToken);
}
