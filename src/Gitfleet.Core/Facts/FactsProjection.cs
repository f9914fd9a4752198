namespace Gitfleet.Core.Facts;

/// <summary>
/// Which parts of each device a facts reader keeps. A device reports twenty-odd inventory attributes (uptime, free
/// memory, checksums: most of them different on every device) and the server sends two configuration maps, but a
/// plan reads only the attributes its dynamic groups select on and the installed image, the identity attributes
/// its hosts are declared by, and the reported configuration. Keeping only those is what lets 1,000,000 devices fit
/// in memory; what is left out is skipped while reading, never turned into strings.
/// </summary>
public sealed record FactsProjection
{
    /// <summary>Everything, as the document has it.</summary>
    public static readonly FactsProjection All = new();

    /// <summary>The inventory attributes to keep; null keeps all of them.</summary>
    public IReadOnlySet<string>? Attributes { get; init; }

    /// <summary>The identity attributes to keep; null keeps all of them.</summary>
    public IReadOnlySet<string>? Identity { get; init; }

    /// <summary>Whether to keep <c>configured_configuration</c> (planning never reads it).</summary>
    public bool ConfiguredConfiguration { get; init; } = true;

    public bool KeepsAttribute(string name) => Attributes is null || Attributes.Contains(name);

    public bool KeepsIdentity(string name) => Identity is null || Identity.Contains(name);

    /// <summary>
    /// Whether <paramref name="other"/> keeps exactly the parts this projection keeps: the same names in each set
    /// (the record's own equality compares the sets by reference), so facts read with one serve the other.
    /// </summary>
    public bool KeepsSamePartsAs(FactsProjection other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ConfiguredConfiguration == other.ConfiguredConfiguration && SameNames(Attributes, other.Attributes) && SameNames(Identity, other.Identity);
    }

    private static bool SameNames(IReadOnlySet<string>? a, IReadOnlySet<string>? b) =>
        a is null || b is null ? a is null && b is null : a.Count == b.Count && a.IsSubsetOf(b);
}
