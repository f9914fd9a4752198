using System.Collections.Concurrent;

namespace Gitfleet.Server.Security;

/// <summary>
/// Parsed device public keys by the PEM text a device sends, so an auth request of a device seen before neither
/// parses nor imports its key again nor exports its canonical form (together they cost more than verifying the
/// signature). A device sends the same text on every auth request (token expiry, restart of the client, retries while
/// pending), so the text is the key of the cache; the parse of a text never changes, so an entry is never stale,
/// only memory.
/// <para>Bounded: two generations of at most <see cref="Capacity"/> keys each; when the young one is full, the
/// old one is dropped (its keys are freed by their finalizers once no request uses them) and a key found in the
/// old generation moves to the young one. Keys of removed auth sets are dropped at once (<see cref="Remove"/>).</para>
/// <para>A parsed key verifies under its own lock: .NET does not promise that one RSA or ECDsa instance verifies on
/// several threads at once, and two requests with the same key at the same moment are rare.</para>
/// </summary>
public sealed class DeviceKeyCache(int capacity = DeviceKeyCache.DefaultCapacity)
{
    /// <summary>Keys per generation: at most twice this many are held (a few MiB of native key memory per 10,000).</summary>
    public const int DefaultCapacity = 16_384;

    private readonly Lock rotation = new();
    private ConcurrentDictionary<string, Entry> young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, Entry> old = new(StringComparer.Ordinal);

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>Keys held now (both generations).</summary>
    public int Count => young.Count + old.Count;

    /// <summary>
    /// The parsed key of <paramref name="pem"/>, parsed now when not held. Throws what
    /// <see cref="DevicePublicKey.Parse"/> throws for a text that is no usable key (such texts are not held).
    /// </summary>
    public Entry Get(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (young.TryGetValue(pem, out var entry))
        {
            return entry;
        }

        if (old.TryRemove(pem, out entry))
        {
            Add(pem, entry);
            return entry;
        }

        entry = new Entry(DevicePublicKey.Parse(pem));
        Add(pem, entry);
        return entry;
    }

    /// <summary>Drops the key whose text or canonical form is <paramref name="pem"/> (its auth set is gone).</summary>
    public void Remove(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        young.TryRemove(pem, out _);
        old.TryRemove(pem, out _);
    }

    private void Add(string pem, Entry entry)
    {
        young[pem] = entry;
        if (young.Count >= Capacity)
        {
            lock (rotation)
            {
                if (young.Count >= Capacity)
                {
                    old = young;
                    young = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
                }
            }
        }
    }

    /// <summary>A parsed key: its canonical PEM, and signature checks one at a time.</summary>
    public sealed class Entry(DevicePublicKey key)
    {
        private readonly Lock verifying = new();

        /// <summary>The key in canonical SubjectPublicKeyInfo PEM (what the store keeps and compares).</summary>
        public string Pem => key.Pem;

        public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
        {
            lock (verifying)
            {
                return key.Verify(data, signature);
            }
        }
    }
}
