using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Core.Facts;

/// <summary>
/// A stable checksum of a flat configuration map: SHA-256 over the keys in ordinal order, each key and value
/// length-prefixed, as lowercase hex. The server, the planner and the device's inventory script all use this
/// definition, so "is this configuration already in flight/applied" is a string comparison.
/// </summary>
public static class ConfigurationChecksum
{
    public static string Compute(IReadOnlyDictionary<string, string> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var key in configuration.Keys.Order(StringComparer.Ordinal))
        {
            Append(hash, key, length);
            Append(hash, configuration[key], length);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, string text, Span<byte> length)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
