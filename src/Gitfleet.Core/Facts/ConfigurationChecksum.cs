using System.Buffers;
using System.Buffers.Binary;
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
        var keys = new string[configuration.Count];
        var size = 0;
        var i = 0;
        foreach (var (key, value) in configuration)
        {
            keys[i++] = key;
            size += 8 + Encoding.UTF8.GetMaxByteCount(key.Length) + Encoding.UTF8.GetMaxByteCount(value.Length);
        }

        Array.Sort(keys, StringComparer.Ordinal);

        // One buffer and one hash call: a plan computes this for every device whose configuration is rendered.
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var length = 0;
            foreach (var key in keys)
            {
                length = Append(buffer, length, key);
                length = Append(buffer, length, configuration[key]);
            }

            return Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Append(byte[] buffer, int at, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer.AsSpan(at + 4));
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), written);
        return at + 4 + written;
    }
}
