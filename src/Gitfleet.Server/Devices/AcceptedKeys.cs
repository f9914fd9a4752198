using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Server.Devices;

/// <summary>
/// The accepted devices' keys, so a known device's auth request (every device after a server restart) is answered
/// without a store read: its identity key and the public key (PEM) of its accepted auth set, by a 128-bit SHA-256
/// digest of both (a key that collides with an accepted one cannot be found, so a digest vouches like the texts,
/// and a million devices hold 16 bytes each instead of their PEM). The device service is its one writer: loaded at
/// start, an entry dropped when the device or its auth sets change (here or, through the change feed, elsewhere)
/// and added back from a store read that no change overtook (<see cref="AddUnlessChanged"/>).
/// </summary>
public sealed class AcceptedKeys
{
    private readonly ConcurrentDictionary<KeyDigest, Guid> devices = new();
    private readonly ConcurrentDictionary<Guid, KeyDigest> keys = new();
    private readonly Lock gate = new();
    private long generation;

    public int Count => devices.Count;

    /// <summary>Read before a store read whose answer may be added (<see cref="AddUnlessChanged"/>): it counts what was forgotten.</summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>
    /// Adds what a store read said (accepted with this key) unless any entry was forgotten since
    /// <paramref name="readBefore"/> (read before that store read): a change committed after the read drops the
    /// entry when it is forgotten later, and one forgotten meanwhile may be the device's, so nothing is added then.
    /// </summary>
    public void AddUnlessChanged(string deviceId, string identityKey, string publicKeyPem, long readBefore)
    {
        lock (gate)
        {
            if (generation == readBefore)
            {
                Add(deviceId, identityKey, publicKeyPem);
            }
        }
    }

    /// <summary>The accepted device with this identity and this accepted key, or null.</summary>
    public Guid? Find(string identityKey, string publicKeyPem) =>
        devices.TryGetValue(KeyDigest.Of(identityKey, publicKeyPem), out var id) ? id : null;

    /// <summary>The device is accepted with this key (call under the device's lock, from what the store holds).</summary>
    public void Add(string deviceId, string identityKey, string publicKeyPem)
    {
        if (!Guid.TryParse(deviceId, out var id))
        {
            return;
        }

        Forget(id);
        var digest = KeyDigest.Of(identityKey, publicKeyPem);
        keys[id] = digest;
        devices[digest] = id;
    }

    /// <summary>The device changed (its status or auth sets): its key is asked from the store again.</summary>
    public void Forget(string deviceId)
    {
        if (Guid.TryParse(deviceId, out var id))
        {
            lock (gate)
            {
                generation++;
                Forget(id);
            }
        }
    }

    /// <summary>Everything forgotten (a replica that missed changes for good).</summary>
    public void Clear()
    {
        lock (gate)
        {
            generation++;
            devices.Clear();
            keys.Clear();
        }
    }

    private void Forget(Guid id)
    {
        if (keys.TryRemove(id, out var digest))
        {
            devices.TryRemove(new KeyValuePair<KeyDigest, Guid>(digest, id));
        }
    }

    /// <summary>The first 128 bits of SHA-256 over the identity key, a zero byte and the PEM.</summary>
    private readonly record struct KeyDigest(ulong High, ulong Low)
    {
        public static KeyDigest Of(string identityKey, string publicKeyPem)
        {
            var length = Encoding.UTF8.GetByteCount(identityKey) + 1 + Encoding.UTF8.GetByteCount(publicKeyPem);
            var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var written = Encoding.UTF8.GetBytes(identityKey, rented);
                rented[written++] = 0;
                written += Encoding.UTF8.GetBytes(publicKeyPem, rented.AsSpan(written));
                Span<byte> hash = stackalloc byte[32];
                SHA256.HashData(rented.AsSpan(0, written), hash);
                return new KeyDigest(BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
