using Gitfleet.Storage.Cluster;

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

    /// <summary>True when other processes write the same store (PostgreSQL replicas): memory then never vouches for stored content.</summary>
    private bool Shared { get; } = store is IClusterStore;

    /// <summary>Loads what the hot path serves from memory: every device's status and last check-in, the inventory digests (one process only) and who has work pending.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, row.Status, row.LastCheckIn);
            if (!Shared && row.InventoryDigest is { } digest)
            {
                registry.SetInventoryDigest(row.Id, digest);
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
        var known = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in store.StreamDeviceStatusesAsync(cancellationToken).ConfigureAwait(false))
        {
            registry.Set(row.Id, row.Status);
            known.Add(row.Id);
        }

        foreach (var gone in registry.DeviceIds().Where(id => !known.Contains(id)).ToList())
        {
            await RefreshAsync(gone).ConfigureAwait(false);
        }

        await PendingChangedElsewhereAsync([.. known], cancellationToken).ConfigureAwait(false);
    }
}
