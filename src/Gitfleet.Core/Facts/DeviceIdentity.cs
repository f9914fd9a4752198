using System.Text.Json;

namespace Gitfleet.Core.Facts;

/// <summary>
/// A device's identity (the map it authenticates with, e.g. mac) and its canonical key: JSON of the map with the
/// keys in ordinal order. The key is unique per device; the server, the store and the admission of devices
/// declared in git all compare identities through it.
/// </summary>
public static class DeviceIdentity
{
    public static string Key(IReadOnlyDictionary<string, string> identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in identity)
        {
            sorted[name] = value;
        }

        return JsonSerializer.Serialize(sorted);
    }

    /// <summary>Whether <paramref name="identity"/> holds every attribute of <paramref name="declared"/> with the same value.</summary>
    public static bool Contains(IReadOnlyDictionary<string, string> identity, IReadOnlyDictionary<string, string> declared)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(declared);
        return declared.All(kv => identity.TryGetValue(kv.Key, out var value) && value == kv.Value);
    }
}
