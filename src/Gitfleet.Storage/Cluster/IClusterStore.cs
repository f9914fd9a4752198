namespace Gitfleet.Storage.Cluster;

/// <summary>
/// What a store shared by several server processes offers on top of <see cref="IFleetStore"/>: a leader lease, the
/// change feed, and secrets every replica must share (the token signing key, the TLS certificate). The PostgreSQL
/// engine implements it; SQLite (one process) does not, and a server on SQLite is always its own leader.
/// </summary>
public interface IClusterStore
{
    /// <summary>A lease named <paramref name="name"/> held as <paramref name="holder"/>, valid <paramref name="duration"/> after each renewal.</summary>
    ILeaderLease Lease(string name, string holder, TimeSpan duration);

    IChangeFeed Changes { get; }

    /// <summary>
    /// The shared secret <paramref name="name"/>: the stored value, or <paramref name="create"/>'s, stored when
    /// none was (the first replica wins a race; every replica returns the same value).
    /// </summary>
    Task<string> GetOrAddSecretAsync(string name, Func<string> create, CancellationToken cancellationToken);

    /// <summary>Stores the leader's status of a branch (a leader write: fenced like the leader's other writes).</summary>
    Task SaveBranchStatusAsync(Gitfleet.Core.Reconcile.BranchStatus status, CancellationToken cancellationToken);

    /// <summary>The leader's last stored status of a branch, or null.</summary>
    Task<Gitfleet.Core.Reconcile.BranchStatus?> GetBranchStatusAsync(string branch, CancellationToken cancellationToken);

    /// <summary>True when the database answers now (readiness).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
