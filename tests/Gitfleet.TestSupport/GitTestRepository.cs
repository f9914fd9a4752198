using Gitfleet.Git;

namespace Gitfleet.TestSupport;

/// <summary>
/// A real git repository in a temp dir, driven through the git CLI: write files, commit, branch, merge.
/// Commits have a fixed author and increasing dates so SHAs and outputs are reproducible within a test.
/// </summary>
public sealed class GitTestRepository : IDisposable
{
    private readonly TempDirectory directory;
    private int commitCounter;

    public GitTestRepository(string initialBranch = "main")
    {
        directory = new TempDirectory("gitfleet-repo");
        Git("init", "--quiet", "--initial-branch", initialBranch);
        Git("config", "user.name", "Fleet Operator");
        Git("config", "user.email", "operator@example.com");
        Git("config", "commit.gpgsign", "false");
    }

    public string Path => directory.Path;

    public GitTestRepository Write(string relativePath, string content)
    {
        directory.Write(relativePath, content);
        return this;
    }

    public GitTestRepository Delete(string relativePath)
    {
        File.Delete(directory.Combine(relativePath));
        return this;
    }

    /// <summary>Stages everything and commits; returns the new commit's SHA.</summary>
    public string Commit(string subject)
    {
        Git("add", "--all");
        commitCounter++;
        var date = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(commitCounter).ToString("O");
        GitWithDate(date, "commit", "--quiet", "--allow-empty", "-m", subject);
        return Head();
    }

    public string Head(string reference = "HEAD") => Git("rev-parse", reference).Trim();

    public GitTestRepository Checkout(string branch, bool create = false)
    {
        if (create)
        {
            Git("checkout", "--quiet", "-b", branch);
        }
        else
        {
            Git("checkout", "--quiet", branch);
        }

        return this;
    }

    /// <summary>Merges <paramref name="source"/> into the current branch with a merge commit; returns its SHA.</summary>
    public string Merge(string source, string? subject = null)
    {
        commitCounter++;
        var date = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(commitCounter).ToString("O");
        GitWithDate(date, "merge", "--quiet", "--no-ff", "-m", subject ?? $"Merge branch '{source}'", source);
        return Head();
    }

    public string Git(params string[] arguments) => GitWithDate(null, arguments);

    public void Dispose() => directory.Dispose();

    private string GitWithDate(string? date, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
        };
        if (date is not null)
        {
            environment["GIT_AUTHOR_DATE"] = date;
            environment["GIT_COMMITTER_DATE"] = date;
        }

        var result = ProcessRunner.RunAsync("git", arguments, Path, environment).GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {result.StandardError}");
        }

        return result.StandardOutput;
    }
}
