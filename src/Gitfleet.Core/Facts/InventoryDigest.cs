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
    public static ulong Of(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> separator = stackalloc byte[1];
        foreach (var (name, values) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            Append(hash, name, separator, 0);
            foreach (var value in values)
            {
                Append(hash, value, separator, 1);
            }

            separator[0] = 2;
            hash.AppendData(separator);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return BitConverter.ToUInt64(digest);
    }

    /// <summary>The digest as the store keeps it (16 hex digits).</summary>
    public static string Text(ulong digest) => digest.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public static ulong? Parse(string? text) =>
        text is { Length: 16 } && ulong.TryParse(text, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    private static void Append(IncrementalHash hash, string text, Span<byte> separator, byte mark)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(text));
        separator[0] = mark;
        hash.AppendData(separator);
    }
}
