using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Core.Facts;

/// <summary>
/// A digest of a device's whole inventory (attribute names in ordinal order, each with its values): two
/// inventories with the same digest are the same. A device that reconnects sends the inventory it sent before;
/// the server recognises it by this digest and writes nothing.
/// </summary>
public static class InventoryDigest
{
    /// <summary>
    /// The first 64 bits of SHA-256 over each attribute in ordinal order of names: the name's UTF-8 and a 0 byte, each
    /// value's UTF-8 and a 1 byte, then a 2 byte. The bytes are laid out in one pooled buffer and hashed in one call
    /// (every inventory PUT computes this: a hash call per name and value cost more than the hashing).
    /// </summary>
    public static ulong Of(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var order = OrdinalOrder(attributes);
        var length = 0;
        foreach (var (name, values) in attributes)
        {
            length += Encoding.UTF8.GetByteCount(name) + 2;
            foreach (var value in values)
            {
                length += Encoding.UTF8.GetByteCount(value) + 1;
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            var at = 0;
            foreach (var index in order)
            {
                var (name, values) = attributes[index];
                at += Encoding.UTF8.GetBytes(name, buffer.AsSpan(at));
                buffer[at++] = 0;
                foreach (var value in values)
                {
                    at += Encoding.UTF8.GetBytes(value, buffer.AsSpan(at));
                    buffer[at++] = 1;
                }

                buffer[at++] = 2;
            }

            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, at), digest);
            return BitConverter.ToUInt64(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The digest as the store keeps it (16 hex digits).</summary>
    public static string Text(ulong digest) => digest.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public static ulong? Parse(string? text) =>
        text is { Length: 16 } && ulong.TryParse(text, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The attributes' indexes by ordinal name, equal names in their given order (a stable sort).</summary>
    private static int[] OrdinalOrder(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes)
    {
        var order = new int[attributes.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var byName = string.CompareOrdinal(attributes[a].Key, attributes[b].Key);
            return byName != 0 ? byName : a.CompareTo(b);
        });
        return order;
    }
}
