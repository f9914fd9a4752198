namespace Gitfleet.Storage.Cluster;

/// <summary>What a replica knows about a lease after trying to take or renew it.</summary>
/// <param name="Holder">The replica that holds it now (this one when <paramref name="IsLeader"/>), or null when free.</param>
/// <param name="Token">The fencing token of this replica's term; 0 when it does not lead.</param>
/// <param name="ExpiresAt">When the holder's lease runs out unless renewed (the database's clock).</param>
public sealed record LeaseState(bool IsLeader, string? Holder, long Token, DateTimeOffset? ExpiresAt)
{
    public LeaderFence? Fence(string lease) => IsLeader ? new LeaderFence(lease, Token) : null;
}

/// <summary>
/// A named lease that at most one replica holds at a time. The holder renews it well before it expires; another
/// replica takes it only once it expired, and taking it increments the fencing token, which invalidates every write
/// of the former holder (see <see cref="LeaderFence"/>).
/// </summary>
public interface ILeaderLease
{
    string Name { get; }

    /// <summary>This replica's name in the lease (host and process id, or configured).</summary>
    string Holder { get; }

    /// <summary>Takes the lease if it is free or expired, renews it if this replica holds it; says who holds it.</summary>
    Task<LeaseState> TryAcquireAsync(CancellationToken cancellationToken);

    /// <summary>Gives the lease up (a clean shutdown), so another replica takes over at once instead of after expiry.</summary>
    Task ReleaseAsync(CancellationToken cancellationToken);
}
