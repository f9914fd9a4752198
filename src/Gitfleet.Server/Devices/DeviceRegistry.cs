using System.Collections.Concurrent;
using Gitfleet.Core.Facts;

namespace Gitfleet.Server.Devices;

/// <summary>
/// The in-memory device table the hot path reads: each device's auth status (so a rejected or decommissioned
/// device loses access at once), its last check-in (flushed to the store in batches), and whether it has an
/// unfinished deployment (so "nothing to do" is answered without touching the database). Loaded at start,
/// updated after every committed change.
/// </summary>
public sealed class DeviceRegistry
{
    private readonly ConcurrentDictionary<Guid, Entry> devices = new();
    private readonly ConcurrentQueue<Guid> dirty = new();

    public int Count => devices.Count;

    /// <summary>Told (device id, previous status or null for a new device, new status) when a device's status changes: admission notifications.</summary>
    public event Action<string, string?, string>? StatusChanged;

    public void Set(string deviceId, string status, DateTimeOffset? lastCheckIn = null)
    {
        if (!Guid.TryParse(deviceId, out var id))
        {
            return;
        }

        var created = false;
        var entry = devices.GetOrAdd(id, _ =>
        {
            created = true;
            return new Entry();
        });
        var previous = created ? null : entry.Status;
        entry.Status = status;
        if (previous != entry.Status)
        {
            StatusChanged?.Invoke(deviceId, previous, entry.Status);
        }

        if (lastCheckIn is { } checkIn)
        {
            entry.LastCheckInTicks = checkIn.UtcTicks;
        }
    }

    public void Remove(string deviceId)
    {
        if (Guid.TryParse(deviceId, out var id))
        {
            devices.TryRemove(id, out _);
        }
    }

    /// <summary>Every device id held (a replica that missed changes compares them with the store's).</summary>
    public IEnumerable<string> DeviceIds() => devices.Keys.Select(id => id.ToString());

    /// <summary>The digest of the inventory the store holds for the device (0: unknown).</summary>
    public ulong InventoryDigest(string deviceId) =>
        Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry) ? Volatile.Read(ref entry.InventoryDigest) : 0;

    /// <summary>Call after an inventory write committed (0 when the stored inventory's digest is unknown, after a PATCH).</summary>
    public void SetInventoryDigest(string deviceId, ulong digest)
    {
        if (Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry))
        {
            Volatile.Write(ref entry.InventoryDigest, digest);
        }
    }

    /// <summary>Every inventory digest forgotten (a replica that missed changes for good): the next PUTs are compared with the store.</summary>
    public void ForgetInventoryDigests()
    {
        foreach (var (_, entry) in devices)
        {
            Volatile.Write(ref entry.InventoryDigest, 0);
        }
    }

    public bool IsAccepted(Guid deviceId) => devices.TryGetValue(deviceId, out var entry) && ReferenceEquals(entry.Status, DeviceStatus.Accepted);

    public string? StatusOf(string deviceId) =>
        Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry) ? entry.Status : null;

    /// <summary>Hot path: records a check-in in memory; the flusher writes it later.</summary>
    public void CheckIn(Guid deviceId, DateTimeOffset now)
    {
        if (devices.TryGetValue(deviceId, out var entry))
        {
            entry.LastCheckInTicks = now.UtcTicks;
            if (Interlocked.Exchange(ref entry.Dirty, 1) == 0)
            {
                dirty.Enqueue(deviceId);
            }
        }
    }

    public DateTimeOffset? LastCheckIn(string deviceId) =>
        Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry) && entry.LastCheckInTicks > 0
            ? new DateTimeOffset(entry.LastCheckInTicks, TimeSpan.Zero)
            : null;

    /// <summary>Hot path: does the device have an unfinished deployment?</summary>
    public bool HasPending(Guid deviceId) => devices.TryGetValue(deviceId, out var entry) && entry.HasPending;

    /// <summary>The generation to pass to <see cref="ClearPending"/>: read it before asking the store.</summary>
    public long PendingGeneration(string deviceId) =>
        Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry) ? Volatile.Read(ref entry.Generation) : -1;

    /// <summary>Call after a deployment for the device is committed.</summary>
    public void MarkPending(string deviceId)
    {
        if (Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry))
        {
            lock (entry)
            {
                entry.Generation++;
                entry.HasPending = true;
            }
        }
    }

    /// <summary>
    /// Call when the store said the device has nothing unfinished. Ignored when a deployment was added since
    /// <paramref name="generation"/> was read, so a concurrent create is never lost.
    /// </summary>
    public void ClearPending(string deviceId, long generation)
    {
        if (Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry))
        {
            lock (entry)
            {
                if (entry.Generation == generation)
                {
                    entry.HasPending = false;
                }
            }
        }
    }

    /// <summary>Takes the check-ins recorded since the last call.</summary>
    public List<KeyValuePair<string, DateTimeOffset>> DrainCheckIns(int max)
    {
        var batch = new List<KeyValuePair<string, DateTimeOffset>>();
        while (batch.Count < max && dirty.TryDequeue(out var id))
        {
            if (devices.TryGetValue(id, out var entry))
            {
                Interlocked.Exchange(ref entry.Dirty, 0);
                batch.Add(new(id.ToString(), new DateTimeOffset(Volatile.Read(ref entry.LastCheckInTicks), TimeSpan.Zero)));
            }
        }

        return batch;
    }

    /// <summary>Devices per status, counted in memory (the dictionary's enumerator takes no lock and copies nothing).</summary>
    public Dictionary<string, long> CountByStatus()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (_, entry) in devices)
        {
            counts[entry.Status] = counts.GetValueOrDefault(entry.Status) + 1;
        }

        return counts;
    }

    private sealed class Entry
    {
        private string status = DeviceStatus.Pending;
        public long LastCheckInTicks;
        public int Dirty;
        public long Generation;
        public ulong InventoryDigest;
        public volatile bool HasPending;

        /// <summary>Interned so the hot path compares references.</summary>
        public string Status
        {
            get => Volatile.Read(ref status);
            set => Volatile.Write(ref status, Intern(value));
        }

        private static string Intern(string value) => value switch
        {
            DeviceStatus.Accepted => DeviceStatus.Accepted,
            DeviceStatus.Pending => DeviceStatus.Pending,
            DeviceStatus.Rejected => DeviceStatus.Rejected,
            DeviceStatus.Preauthorized => DeviceStatus.Preauthorized,
            _ => value,
        };
    }
}
