using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gitfleet.Core.Repository;

namespace Gitfleet.Git;

/// <summary>
/// A fleet repository read through the git CLI: a local repository used in place (only its object database
/// and refs are read; the working tree is never touched), or a remote URL mirrored into a cache directory
/// and fetched on <see cref="RefreshAsync"/>.
/// </summary>
public sealed class FleetRepository
{
    /// <summary>Text files larger than this are not loaded (a fleet file is never that big).</summary>
    public const int MaxFileBytes = 8 * 1024 * 1024;

    private FleetRepository(string source, string gitDirectory, bool isMirror)
    {
        Source = source;
        GitDirectory = gitDirectory;
        IsMirror = isMirror;
    }

    /// <summary>What the user gave: a path or a URL (shown with credentials removed).</summary>
    public string Source { get; }

    /// <summary>Where git commands run: the local repository, or the cache mirror of a remote.</summary>
    public string GitDirectory { get; }

    public bool IsMirror { get; }

    /// <summary>Default cache root: $XDG_CACHE_HOME/gitfleet/repos or ~/.cache/gitfleet/repos.</summary>
    public static string DefaultCacheRoot(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var cache = environment("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(environment("HOME") ?? Path.GetTempPath(), ".cache");
        return Path.Combine(cache, "gitfleet", "repos");
    }

    public static bool IsRemote(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.Contains("://", StringComparison.Ordinal)
            || (source.Contains('@', StringComparison.Ordinal) && source.Contains(':', StringComparison.Ordinal) && !Directory.Exists(source));
    }

    /// <summary>Opens a local repository or mirrors a remote one (cloning on first use, fetching otherwise).</summary>
    public static async Task<FleetRepository> OpenAsync(string source, string cacheRoot, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (IsRemote(source))
        {
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..20];
            var mirror = Path.Combine(cacheRoot, key + ".git");
            var repository = new FleetRepository(GitCli.RedactUrls(source), mirror, isMirror: true);
            if (Directory.Exists(mirror))
            {
                await repository.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Directory.CreateDirectory(cacheRoot);
                var partial = mirror + ".partial-" + Guid.NewGuid().ToString("N")[..8];
                await GitCli.RunAsync(cacheRoot, ["clone", "--mirror", "--quiet", source, partial], cancellationToken).ConfigureAwait(false);
                try
                {
                    Directory.Move(partial, mirror);
                }
                catch (IOException)
                {
                    // Another process cloned it at the same time; use theirs.
                    Directory.Delete(partial, recursive: true);
                }
            }

            return repository;
        }

        var path = Path.GetFullPath(source);
        if (!Directory.Exists(path))
        {
            throw new GitCommandException($"'{source}' is neither a directory nor a git URL");
        }

        try
        {
            var gitDir = (await GitCli.RunAsync(path, ["rev-parse", "--absolute-git-dir"], cancellationToken).ConfigureAwait(false)).Trim();
            return new FleetRepository(source, gitDir, isMirror: false);
        }
        catch (GitCommandException e)
        {
            throw new GitCommandException($"'{source}' is not a git repository (run 'git init' there, or 'gitfleet init {source}' for a sample fleet)", e);
        }
    }

    /// <summary>Fetches a mirrored remote; a local repository needs nothing.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (IsMirror)
        {
            await GitCli.RunAsync(GitDirectory, ["fetch", "--prune", "--quiet", "origin", "+refs/heads/*:refs/heads/*"], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Branch names: local branches and origin's remote-tracking ones (a CI checkout has only the built branch
    /// locally; the other stages are origin/*). For a mirror: the remote's branches.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListBranchesAsync(CancellationToken cancellationToken)
    {
        var output = await GitCli.RunAsync(GitDirectory, ["for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes/origin"], cancellationToken).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.StartsWith("refs/heads/", StringComparison.Ordinal) ? r["refs/heads/".Length..] : r["refs/remotes/origin/".Length..])
            .Where(b => b != "HEAD")
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The commit a ref (branch, tag, SHA, origin/x) points to, or null when there is none.</summary>
    public async Task<string?> TryResolveAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        if (reference.StartsWith('-'))
        {
            return null;
        }

        return await RevParseAsync(reference + "^{commit}", cancellationToken).ConfigureAwait(false)
            ?? (reference.Contains('/', StringComparison.Ordinal) ? null : await RevParseAsync($"refs/remotes/origin/{reference}^{{commit}}", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>rev-parse one name, null when it names nothing.</summary>
    private async Task<string?> RevParseAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var sha = await GitCli.RunAsync(GitDirectory, ["rev-parse", "--verify", "--quiet", "--end-of-options", name], cancellationToken).ConfigureAwait(false);
            return sha.Trim();
        }
        catch (GitCommandException)
        {
            return null;
        }
    }

    /// <summary>The tree a ref's commit points to: two refs with one tree hold the same files.</summary>
    public async Task<string?> TryResolveTreeAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        if (reference.StartsWith('-'))
        {
            return null;
        }

        return await TryResolveAsync(reference, cancellationToken).ConfigureAwait(false) is { } commit
            ? await RevParseAsync(commit + "^{tree}", cancellationToken).ConfigureAwait(false)
            : null;
    }

    public async Task<CommitInfo> ReadCommitAsync(string sha, CancellationToken cancellationToken)
    {
        var output = await GitCli.RunAsync(GitDirectory, ["show", "-s", "--format=%H%x00%an <%ae>%x00%cI%x00%s", sha], cancellationToken).ConfigureAwait(false);
        var parts = output.TrimEnd('\n').Split('\0');
        if (parts.Length < 4)
        {
            throw new GitCommandException($"unexpected output from git show for {sha}");
        }

        return new CommitInfo(parts[0], parts[1], parts[3], DateTimeOffset.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Reads the fleet files at a ref. Throws <see cref="GitCommandException"/> when the ref does not exist.</summary>
    public async Task<RepositorySnapshot> ReadSnapshotAsync(string reference, CancellationToken cancellationToken)
    {
        var sha = await TryResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        if (sha is null)
        {
            var branches = await ListBranchesAsync(cancellationToken).ConfigureAwait(false);
            var hint = branches.Count == 0 ? "the repository has no branches yet" : $"branches: {string.Join(", ", branches)}";
            throw new GitCommandException($"'{reference}' is not a branch, tag or commit of {Source} ({hint})");
        }

        // The commit's details and its tree are independent reads: one git process each, side by side. The tree
        // without sizes (-l would open every object once more): the blobs' sizes come with their contents.
        var reading = ReadCommitAsync(sha, cancellationToken);
        var tree = await GitCli.RunAsync(GitDirectory, ["ls-tree", "-r", "-z", "--full-tree", sha], cancellationToken).ConfigureAwait(false);
        var commit = await reading.ConfigureAwait(false);
        var blobs = new List<(string Path, string Sha)>();
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in tree.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <sha>\t<path>"
            var tab = entry.IndexOf('\t', StringComparison.Ordinal);
            var fields = entry[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var path = entry[(tab + 1)..];
            if (fields[1] != "blob" || !RepositorySnapshot.IsFleetPath(path))
            {
                continue;
            }

            if (fields[0] == "120000")
            {
                links[path] = $"{path} is committed as a symbolic link; fleet files must be regular files (the link's target is not read)";
                continue;
            }

            blobs.Add((path, fields[2]));
        }

        var texts = blobs.Count == 0
            ? []
            : await BlobBatchReader.ReadAsync(GitDirectory, blobs.Select(b => b.Sha).Distinct(StringComparer.Ordinal).ToList(), MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var files = new Dictionary<string, string>(blobs.Count, StringComparer.Ordinal);
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, blob) in blobs)
        {
            var text = texts[blob];
            if (text.Text is not null)
            {
                files[path] = text.Text;
            }
            else
            {
                unreadable[path] = text.Problem!;
            }
        }

        return new RepositorySnapshot(reference, commit, files) { UnreadableFiles = unreadable, Links = links };
    }
}
