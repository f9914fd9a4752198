using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Facts;

/// <summary>
/// Facts from a server's management API show secret configuration values as *** (docs/api.md, redaction), with the
/// checksum of the real configuration beside them. A planner that rendered the desired configuration (secrets
/// included) puts its own values where the facts say ***: when the checksum then matches, the device runs exactly
/// those values, and the planner compares with them; otherwise the redacted keys count as different.
/// </summary>
public static class RedactedConfiguration
{
    /// <summary>The reported configuration to compare with <paramref name="desired"/>: reconstructed when it can be proven, else as given.</summary>
    public static IReadOnlyDictionary<string, string>? Resolve(DeviceFacts facts, RenderedConfiguration desired)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(desired);
        var reported = facts.ReportedConfiguration;
        if (reported is null || facts.ReportedConfigurationChecksum is not { } checksum || !reported.Values.Contains(RenderedConfiguration.Redacted))
        {
            return reported;
        }

        var candidate = new Dictionary<string, string>(reported.Count, StringComparer.Ordinal);
        var sameAsDesired = reported.Count == desired.Values.Count;
        foreach (var (key, value) in reported)
        {
            var real = value == RenderedConfiguration.Redacted && desired.Values.TryGetValue(key, out var mine) ? mine : value;
            candidate[key] = real;
            sameAsDesired = sameAsDesired && desired.Values.TryGetValue(key, out var wanted) && string.Equals(wanted, real, StringComparison.Ordinal);
        }

        // The usual case, a device that runs what is desired: the candidate's checksum is the desired one, already computed.
        var candidateChecksum = sameAsDesired ? desired.Checksum : ConfigurationChecksum.Compute(candidate);
        return candidateChecksum == checksum ? candidate : reported;
    }
}
