using Gitfleet.Server.Devices;
using Gitfleet.Server.Security;
using Gitfleet.Storage;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// The memory views the hot path serves, as this replica loads them at start and refreshes them from the store when
/// the change feed names a key: device statuses and pending work through the <see cref="DeviceService"/> (their one
/// owner), active access tokens and their roles, revoked login sessions.
/// <see cref="Position"/> is the feed position read before the first load, so no change can fall between the two.
/// </summary>
internal sealed class ReplicaViews(IFleetStore store, DeviceService devices, StoreFreshness freshness, AccessTokenRegistry accessTokens, TokenRevocations revocations, TimeProvider time)
{
    /// <summary>The feed position the views were loaded at (memory holds every change through it).</summary>
    public long Position
    {
        get => freshness.Applied;
        set => freshness.MarkApplied(value);
    }

    /// <summary>How far the views have taken in the change feed (the follower marks each batch it applied).</summary>
    public StoreFreshness Freshness => freshness;

    /// <summary>True once the views were loaded (readiness).</summary>
    public bool Loaded { get; private set; }

    /// <summary>The devices the change feed names, through the device service (the one owner of device state).</summary>
    public DeviceService Devices => devices;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await devices.LoadAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAccessTokensAsync(null, cancellationToken).ConfigureAwait(false);
        await RefreshRevocationsAsync(cancellationToken).ConfigureAwait(false);
        Loaded = true;
    }

    /// <summary>Everything again (changes were missed for good).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await devices.ReloadAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAccessTokensAsync(null, cancellationToken).ConfigureAwait(false);
        await RefreshRevocationsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Login sessions revoked (logout) through any replica: refused here too.</summary>
    public async Task RefreshRevocationsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var revoked in await store.ListRevokedTokensAsync(now, cancellationToken).ConfigureAwait(false))
        {
            revocations.Revoke(revoked.Id, revoked.ExpiresAt, now);
        }
    }

    /// <summary>Adds the named tokens that exist and have not expired, removes the others (all of them when <paramref name="ids"/> is null).</summary>
    public async Task RefreshAccessTokensAsync(IReadOnlyList<string>? ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var active = (await store.ListAccessTokensAsync(null, cancellationToken).ConfigureAwait(false))
            .Where(t => t.ExpiresAt > now).ToDictionary(t => t.Id, t => t.Role, StringComparer.Ordinal);
        foreach (var id in ids ?? (IEnumerable<string>)active.Keys)
        {
            if (active.TryGetValue(id, out var role))
            {
                accessTokens.Add(id, role);
            }
            else
            {
                accessTokens.Remove(id);
            }
        }
    }
}
