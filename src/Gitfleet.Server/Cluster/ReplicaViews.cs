using Gitfleet.Server.Devices;
using Gitfleet.Server.Security;
using Gitfleet.Storage;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// The memory views the hot path serves (device statuses, what devices have pending, active access tokens and their
/// roles, revoked login sessions), as
/// this replica loads them at start and refreshes them from the store when the change feed names a key.
/// <see cref="Position"/> is the feed position read before the first load, so no change can fall between the two.
/// </summary>
internal sealed class ReplicaViews(IFleetStore store, DeviceRegistry registry, AccessTokenRegistry accessTokens, TokenRevocations revocations, TimeProvider time)
{
    /// <summary>Above this many keys, one query for all rows beats a query per key.</summary>
    private const int BulkThreshold = 200;

    public long Position { get; set; }

    /// <summary>True once the views were loaded (readiness).</summary>
    public bool Loaded { get; private set; }

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, row.Status, row.LastCheckIn);
        }

        await foreach (var deviceId in store.StreamDevicesWithUnfinishedAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.MarkPending(deviceId);
        }

        await RefreshAccessTokensAsync(null, cancellationToken).ConfigureAwait(false);
        await RefreshRevocationsAsync(cancellationToken).ConfigureAwait(false);
        Loaded = true;
    }

    /// <summary>Everything again (changes were missed for good).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, row.Status);
            known.Add(row.Id);
        }

        foreach (var gone in registry.DeviceIds().Where(id => !known.Contains(id)).ToList())
        {
            registry.Remove(gone);
        }

        await RefreshPendingAsync(known.ToList(), cancellationToken).ConfigureAwait(false);
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

    public async Task RefreshDevicesAsync(IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        foreach (var id in deviceIds)
        {
            if (await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) is { } device)
            {
                registry.Set(device.Id, device.Status);
            }
            else
            {
                registry.Remove(id);
            }
        }
    }

    /// <summary>Marks or clears "has something pending" from the store, never clearing what a concurrent create marked.</summary>
    public async Task RefreshPendingAsync(IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        var generations = deviceIds.ToDictionary(id => id, registry.PendingGeneration, StringComparer.Ordinal);
        HashSet<string> unfinished;
        if (deviceIds.Count > BulkThreshold)
        {
            unfinished = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var id in store.StreamDevicesWithUnfinishedAsync(cancellationToken).ConfigureAwait(false))
            {
                unfinished.Add(id);
            }
        }
        else
        {
            unfinished = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in deviceIds)
            {
                if (await store.GetNextForDeviceAsync(id, cancellationToken).ConfigureAwait(false) is not null)
                {
                    unfinished.Add(id);
                }
            }
        }

        foreach (var (id, generation) in generations)
        {
            if (unfinished.Contains(id))
            {
                registry.MarkPending(id);
            }
            else
            {
                registry.ClearPending(id, generation);
            }
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
