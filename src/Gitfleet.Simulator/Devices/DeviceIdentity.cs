using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gitfleet.Simulator.Devices;

/// <summary>
/// Identities of simulated devices. Generated devices have <c>mac</c> (locally administered, 02:…, from the
/// prefix and the index) and <c>serial</c> (<c>PREFIX-000042</c>); id_data is the identity as a JSON object with
/// keys in ordinal order, as the Mender client writes it.
/// </summary>
public static class DeviceIdentity
{
    public static IReadOnlyDictionary<string, string> Generated(string prefix, int index)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(prefix));
        var mac = string.Create(CultureInfo.InvariantCulture,
            $"02:{hash[0]:x2}:{hash[1]:x2}:{(index >> 16) & 0xff:x2}:{(index >> 8) & 0xff:x2}:{index & 0xff:x2}");
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["mac"] = mac, ["serial"] = Serial(prefix, index) };
    }

    public static string Serial(string prefix, int index) => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{index:D6}");

    /// <summary>The identity as the JSON string the client puts into id_data: keys in ordinal order.</summary>
    public static string IdData(IReadOnlyDictionary<string, string> identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var key in identity.Keys.Order(StringComparer.Ordinal))
            {
                writer.WriteString(key, identity[key]);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
