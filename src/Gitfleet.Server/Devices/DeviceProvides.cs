using System.Collections.Concurrent;
using System.Text;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Devices;

/// <summary>
/// The rootfs-image.version each device provides at check-in. Debian's mender-client 3.4 without Gitfleet's device
/// package never reports it in its inventory, but sends it in the device_provides of every <c>next</c> request;
/// the server keeps the last known value per device in memory, compares without allocating, and queues only
/// changes, which the check-in flusher writes in batches (scope "provides": shown as the inventory attribute
/// unless the device reports one itself). A fleet runs a few images: devices with the same value share one entry
/// (its UTF-8 bytes and its text), so a million devices hold a reference each instead of a copy of the value each
/// (about 120 bytes per device, measured in docs/benchmarks.md); past <see cref="MaxShared"/> distinct values
/// (devices that each report their own) new values are kept per device as before.
/// </summary>
public sealed class DeviceProvides
{
    private readonly ConcurrentDictionary<Guid, Entry> devices = new();
    private readonly ConcurrentQueue<Guid> dirty = new();
    private readonly ConcurrentDictionary<string, Entry> shared = new(StringComparer.Ordinal);

    /// <summary>At most this many distinct values are shared between devices.</summary>
    public const int MaxShared = 4096;

    /// <summary>Loads a stored value at start (no write follows).</summary>
    public void Load(string deviceId, string rootfsVersion)
    {
        ArgumentNullException.ThrowIfNull(rootfsVersion);
        if (Guid.TryParse(deviceId, out var id))
        {
            devices[id] = Share(rootfsVersion, null);
        }
    }

    /// <summary>Hot path: the UTF-8 value a check-in carried; allocates only when it differs from the last one.</summary>
    public void Observe(Guid deviceId, ReadOnlySpan<byte> rootfsVersion)
    {
        if (rootfsVersion.IsEmpty || rootfsVersion.Length > 1024)
        {
            return;
        }

        if (devices.TryGetValue(deviceId, out var known) && rootfsVersion.SequenceEqual(known.Utf8))
        {
            return;
        }

        devices[deviceId] = Share(Encoding.UTF8.GetString(rootfsVersion), rootfsVersion);
        dirty.Enqueue(deviceId);
    }

    public string? RootfsVersion(string deviceId) =>
        Guid.TryParse(deviceId, out var id) && devices.TryGetValue(id, out var entry) ? entry.Text : null;

    public void Remove(string deviceId)
    {
        if (Guid.TryParse(deviceId, out var id))
        {
            devices.TryRemove(id, out _);
        }
    }

    /// <summary>The changes recorded since the last call (the newest value of each device).</summary>
    public List<ProvidedAttribute> Drain(int max)
    {
        var batch = new Dictionary<Guid, ProvidedAttribute>();
        while (batch.Count < max && dirty.TryDequeue(out var id))
        {
            if (devices.TryGetValue(id, out var entry))
            {
                batch[id] = new ProvidedAttribute(id.ToString(), DeviceFacts.RootfsImageVersionAttribute, entry.Text);
            }
        }

        return [.. batch.Values];
    }

    /// <summary>The one entry of a value (its bytes copied from <paramref name="utf8"/> when given, else encoded).</summary>
    private Entry Share(string text, ReadOnlySpan<byte> utf8)
    {
        if (shared.TryGetValue(text, out var entry))
        {
            return entry;
        }

        entry = new Entry(utf8.IsEmpty ? Encoding.UTF8.GetBytes(text) : utf8.ToArray(), text);
        return shared.Count < MaxShared ? shared.GetOrAdd(text, entry) : entry;
    }

    private sealed record Entry(byte[] Utf8, string Text);
}
