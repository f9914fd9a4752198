using Gitfleet.Storage.Cluster;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Devices;

/// <summary>
/// The device service's memory at start, and the changes other replicas commit (through the store's change feed,
/// followed by Cluster/ReplicaFollower): they update the same views, through the same per-device locks, as this
/// replica's own writes, so a device rejected through another replica is refused here on its next request.
/// </summary>
public sealed partial class DeviceService
{
    /// <summary>Above this many devices, one query for every device with unfinished work beats a query per device.</summary>
    private const int BulkThreshold = 200;

    /// <summary>
    /// True when other processes write the same store (PostgreSQL replicas): memory then vouches for stored content
    /// (an inventory digest, an accepted key) only once <see cref="Freshness"/> says it holds every change committed
    /// before the request.
    /// </summary>
    private bool Shared { get; } = store is IClusterStore;

    private StoreFreshness Freshness { get; } = freshness ?? new StoreFreshness(null);

    /// <summary>The accepted devices' keys (served from memory on a shared store).</summary>
    private readonly AcceptedKeys acceptedKeys = new();

    /// <summary>Loads what the hot path serves from memory: every device's status and last check-in, the inventory digests, who has work pending, and on a shared store the accepted keys.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, StatusNames.Of(row.Status), row.LastCheckIn);
            if (row.InventoryDigest is { } digest)
            {
                registry.SetInventoryDigest(row.Id, digest);
            }
        }

        if (Shared)
        {
            await foreach (var row in store.StreamAcceptedKeysAsync(cancellationToken).ConfigureAwait(false))
            {
                acceptedKeys.Add(row.DeviceId, row.IdentityKey, row.PublicKey);
            }
        }

        await foreach (var deviceId in store.StreamDevicesWithUnfinishedAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.MarkPending(deviceId);
        }
    }

    /// <summary>Another replica changed these devices (admission, decommissioning, a new device): their status as the store has it now.</summary>
    public async Task ChangedElsewhereAsync(IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var deviceId in deviceIds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await RefreshAsync(deviceId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The stored inventory of these devices changed (through another replica, or this one): the digests held are
    /// forgotten under each device's lock (a write of this replica sets its digest under that lock after its
    /// commit, so a later change's drop always comes after it), and the next PUT is compared with the store.
    /// </summary>
    public async Task InventoryChangedElsewhereAsync(IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var deviceId in deviceIds)
        {
            var stripe = Stripe(deviceId);
            await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                registry.SetInventoryDigest(deviceId, 0);
            }
            finally
            {
                stripe.Release();
            }
        }
    }

    /// <summary>Auth sets of these devices changed elsewhere (a key accepted, rejected, added or deleted): their accepted keys are asked from the store again.</summary>
    public void AuthSetsChangedElsewhere(IReadOnlyList<string> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var deviceId in deviceIds)
        {
            acceptedKeys.Forget(deviceId);
        }
    }

    /// <summary>
    /// Another replica created or finished deployments of these devices: marks or clears "has something pending"
    /// from the store, never clearing what a deployment committed here since marked.
    /// </summary>
    public async Task PendingChangedElsewhereAsync(IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var generations = deviceIds.ToDictionary(id => id, registry.PendingGeneration, StringComparer.Ordinal);
        var unfinished = new HashSet<string>(StringComparer.Ordinal);
        if (deviceIds.Count > BulkThreshold)
        {
            await foreach (var id in store.StreamDevicesWithUnfinishedAsync(cancellationToken).ConfigureAwait(false))
            {
                unfinished.Add(id);
            }
        }
        else
        {
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

    /// <summary>Changes were missed for good (pruned while this replica was away): every device's status and pending work again, and devices gone removed.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        // What memory vouches for is forgotten: asked from the store until written or loaded again.
        acceptedKeys.Clear();
        registry.ForgetInventoryDigests();
        var known = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, StatusNames.Of(row.Status));
            known.Add(row.Id);
        }

        foreach (var gone in registry.DeviceIds().Where(id => !known.Contains(id)).ToList())
        {
            await RefreshAsync(gone).ConfigureAwait(false);
        }

        await PendingChangedElsewhereAsync([.. known], cancellationToken).ConfigureAwait(false);
    }
}
