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
        Checksum = ConfigurationChecksum.Compute(values);
    }

    /// <summary>The real values, secrets included. Never print these; use <see cref="Redact"/>.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    public IReadOnlySet<string> SecretKeys { get; }

    public string Checksum { get; }

    public string Redact(string key) => SecretKeys.Contains(key) ? Redacted : Values[key];

    /// <summary>The values with secrets replaced by ***, safe to print or write to a plan.</summary>
    public IReadOnlyDictionary<string, string> RedactedValues() =>
        Values.ToDictionary(kv => kv.Key, kv => SecretKeys.Contains(kv.Key) ? Redacted : kv.Value, StringComparer.Ordinal);
}
