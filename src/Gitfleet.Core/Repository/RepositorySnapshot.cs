namespace Gitfleet.Core.Repository;

/// <summary>
/// The files of a fleet repository at one commit (or in a working tree), as the git layer read them.
/// Paths use '/' and are relative to the repository root. Only the files the fleet format uses are included.
/// </summary>
public sealed record RepositorySnapshot(string Ref, CommitInfo? Commit, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>Fleet files that could not be read as text (not UTF-8, or too large), with the reason.</summary>
    public IReadOnlyDictionary<string, string> UnreadableFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>Fleet paths that are symbolic links the fleet does not read (leaving the repository, or committed as links), with the reason.</summary>
    public IReadOnlyDictionary<string, string> Links { get; init; } = new Dictionary<string, string>();

    /// <summary>SHA-256 over the paths and contents of the fleet files, in path order.</summary>
    public string ComputeContentHash()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var path in Files.Keys.Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path));
            hash.AppendData([0]);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Files[path]));
            hash.AppendData([0]);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

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
