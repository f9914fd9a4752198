using Gitfleet.Git;

namespace Gitfleet.Cli.Commands;

/// <summary>A fleet repository created on disk (by `init` and the demo): commits and merges as an operator makes them, through the git CLI.</summary>
internal sealed class FleetRepositoryWriter(string directory, string author = "Gitfleet", string email = "gitfleet@localhost")
{
    public string Directory { get; } = directory;

    /// <summary>Writes the files, commits them on the first branch and creates the other branches there; returns the commit.</summary>
    public async Task<string> CreateAsync(IReadOnlyDictionary<string, string> files, IReadOnlyList<string> branches, string subject, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await GitAsync(cancellationToken, "init", "--quiet", "--initial-branch", branches[0]).ConfigureAwait(false);
        foreach (var (path, content) in files)
        {
            await WriteAsync(path, content, cancellationToken).ConfigureAwait(false);
        }

        var sha = await CommitAsync(subject, cancellationToken).ConfigureAwait(false);
        foreach (var branch in branches.Skip(1))
        {
            await GitAsync(cancellationToken, "branch", branch).ConfigureAwait(false);
        }

        return sha;
    }

    public string Read(string path) => File.ReadAllText(Path.Combine(Directory, path));

    public async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var full = Path.Combine(Directory, path);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits everything on the checked-out branch; returns the new commit.</summary>
    public async Task<string> CommitAsync(string subject, CancellationToken cancellationToken)
    {
        await GitAsync(cancellationToken, "add", "--all").ConfigureAwait(false);
        await GitAsync(cancellationToken, "commit", "--quiet", "-m", subject).ConfigureAwait(false);
        return await HeadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A merge request accepted: merges <paramref name="source"/> into <paramref name="target"/> with a merge commit.</summary>
    public async Task<string> MergeAsync(string source, string target, CancellationToken cancellationToken)
    {
        await GitAsync(cancellationToken, "checkout", "--quiet", target).ConfigureAwait(false);
        await GitAsync(cancellationToken, "merge", "--quiet", "--no-ff", "-m", $"Merge branch '{source}' into {target}", source).ConfigureAwait(false);
        var sha = await HeadAsync(cancellationToken).ConfigureAwait(false);
        await GitAsync(cancellationToken, "checkout", "--quiet", "main").ConfigureAwait(false);
        return sha;
    }

    /// <summary>The commit <paramref name="revision"/> names (a branch, HEAD).</summary>
    public async Task<string> HeadAsync(CancellationToken cancellationToken, string revision = "HEAD") =>
        (await GitCli.RunAsync(Directory, ["rev-parse", revision], cancellationToken).ConfigureAwait(false)).Trim();

    private Task GitAsync(CancellationToken cancellationToken, params string[] args) =>
        GitCli.RunAsync(Directory,
            ["-c", "user.name=" + author, "-c", "user.email=" + email, "-c", "commit.gpgsign=false", .. args],
            cancellationToken);
}
