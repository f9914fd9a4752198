namespace Gitfleet.Core.Yaml;

/// <summary>
/// Bounds on what one fleet revision's YAML may hold (docs/fleet-repository.md, limits). Anyone who can commit can
/// write the YAML, so parsing never recurses, never expands an alias past these counts, and stops at the first
/// exceeded bound with a diagnostic at its file:line:col. The node counts bound memory: a node of a loaded tree costs
/// a few hundred bytes, so a revision at the limit stays under about a gigabyte.
/// </summary>
public sealed record YamlLimits
{
    public static readonly YamlLimits Default = new();

    /// <summary>How deeply mappings and lists may nest in one file.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>How many aliases (<c>*name</c>) one file may use.</summary>
    public int MaxAliasesPerFile { get; init; } = 10_000;

    /// <summary>Nodes (scalars, mappings, lists; mapping keys included) one file may hold once its aliases are expanded.</summary>
    public int MaxNodesPerFile { get; init; } = 1_000_000;

    /// <summary>Nodes all the files of one revision may hold together, aliases expanded.</summary>
    public int MaxNodesPerRevision { get; init; } = 2_000_000;
}

/// <summary>
/// What one revision's parsing has spent, shared by all its files, and the cancellation that stops it (the server
/// gives a revision a time budget). Not thread-safe: one revision is parsed on one thread.
/// </summary>
public sealed class YamlBudget(YamlLimits limits, CancellationToken cancellationToken = default)
{
    public YamlLimits Limits { get; } = limits ?? throw new ArgumentNullException(nameof(limits));

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Nodes parsed so far in the revision.</summary>
    public long RevisionNodes { get; internal set; }
}
