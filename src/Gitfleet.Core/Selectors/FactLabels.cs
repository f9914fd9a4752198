using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Selectors;

/// <summary>
/// The keys a dynamic group's selector can test on a device's server-side facts:
/// <c>id</c>, <c>status</c>, <c>device_type</c>, <c>artifact_name</c>, <c>tags.NAME</c>, <c>attributes.NAME</c>
/// (inventory attributes) and <c>identity.NAME</c>.
/// </summary>
public static class FactLabels
{
    private static readonly string[] Plain = ["id", "status", "device_type", "artifact_name"];
    private static readonly string[] Prefixes = ["tags.", "attributes.", "identity."];

    /// <summary>Returns an error message for a key a fact selector cannot test, or null when it is valid.</summary>
    public static string? Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Plain.Contains(key, StringComparer.Ordinal))
        {
            return null;
        }

        foreach (var prefix in Prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
            {
                return null;
            }
        }

        var hint = DidYouMean.Hint(key, Plain.Concat(Prefixes.Select(p => p + "NAME")));
        return $"'{key}' is not a device fact a dynamic group can select on{hint}; use one of {string.Join(", ", Plain)}, or tags.NAME, attributes.NAME, identity.NAME";
    }

    public static Func<string, string?> For(DeviceFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return key => Lookup(facts, key);
    }

    public static string? Lookup(DeviceFacts facts, string key)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(key);
        return Parsed.GetOrAdd(key, FactKey.Parse).Of(facts);
    }

    // Keys are parsed once: selectors test the same few keys on every device of a 200,000-device fleet.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, FactKey> Parsed = new(StringComparer.Ordinal);
}
