namespace Gitfleet.Core.Repository;

/// <summary>
/// The files of a fleet repository at one commit (or in a working tree), as the git layer read them.
/// Paths use '/' and are relative to the repository root. Only the files the fleet format uses are included.
/// </summary>
public sealed record RepositorySnapshot(string Ref, CommitInfo? Commit, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>Fleet files that could not be read as text (not UTF-8, or too large), with the reason.</summary>
    public IReadOnlyDictionary<string, string> UnreadableFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>True for the paths the fleet repository format reads; the git layer loads only these.</summary>
    public static bool IsFleetPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path is "inventory.yml" or "inventory.yaml" or "gitfleet.yml" or "gitfleet.yaml"
            || path.StartsWith("group_vars/", StringComparison.Ordinal)
            || path.StartsWith("host_vars/", StringComparison.Ordinal)
            || path.StartsWith("overlays/", StringComparison.Ordinal)
            || path.StartsWith("templates/", StringComparison.Ordinal);
    }
}
