using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Resolution;

/// <summary>
/// A device's configuration as the server stores it (a flat string map), with the keys whose values came
/// from secrets: those print as *** everywhere, and only the applier sends their real values.
/// </summary>
public sealed class RenderedConfiguration
{
    public const string Redacted = "***";

    public RenderedConfiguration(IReadOnlyDictionary<string, string> values, IReadOnlySet<string> secretKeys)
    {
        Values = values;
        SecretKeys = secretKeys;
    }

    /// <summary>The real values, secrets included. Never print these; use <see cref="Redact"/>.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    public IReadOnlySet<string> SecretKeys { get; }

    /// <summary>
    /// <see cref="ConfigurationChecksum"/> of the values, computed when first asked for: a plan needs it only for the
    /// devices that change or have something in flight, not for the unchanged majority whose configurations it renders.
    /// </summary>
    public string Checksum => checksum ??= ConfigurationChecksum.Compute(Values); // Racing threads compute the same string.

    private string? checksum;

    public string Redact(string key) => SecretKeys.Contains(key) ? Redacted : Values[key];

    /// <summary>The values with secrets replaced by ***, safe to print or write to a plan.</summary>
    public IReadOnlyDictionary<string, string> RedactedValues() =>
        Values.ToDictionary(kv => kv.Key, kv => SecretKeys.Contains(kv.Key) ? Redacted : kv.Value, StringComparer.Ordinal);
}
