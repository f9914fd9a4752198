namespace Gitfleet.Git;

/// <summary>What <see cref="BranchReverter.PrepareAsync"/> made: a new branch holding one revert commit.</summary>
public sealed record PreparedRevert(string Branch, string Commit, string Reverted, bool WasMerge, string? PushedTo);

/// <summary>
/// The git side of a revert, as a GitOps user expects it: a revert commit of the offending commit (a merge is
/// reverted against its first parent, the stage as it was) on top of the stage branch, on a new branch ready for a
/// merge request. The stage branch itself is never changed or pushed. Works in a temporary worktree: the user's
/// working tree, index and checked-out branch are untouched, and nothing is left behind when it fails.
/// </summary>
public static class BranchReverter
{
    public static async Task<PreparedRevert> PrepareAsync(
        FleetRepository repository, string stage, string commit, string newBranch, string message, string? pushRemote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var git = repository.GitDirectory;
        var head = await repository.TryResolveAsync(stage, cancellationToken).ConfigureAwait(false)
            ?? throw new GitCommandException($"the repository has no branch '{stage}'");
        var reverted = await repository.TryResolveAsync(commit, cancellationToken).ConfigureAwait(false)
            ?? throw new GitCommandException($"the repository has no commit '{commit}'");
        if (!await SucceedsAsync(git, ["merge-base", "--is-ancestor", reverted, head], cancellationToken).ConfigureAwait(false))
        {
            throw new GitCommandException($"commit {reverted[..12]} is not on branch '{stage}' (its head is {head[..12]})");
        }

        if (!await SucceedsAsync(git, ["check-ref-format", "--branch", newBranch], cancellationToken).ConfigureAwait(false) || newBranch.StartsWith('-'))
        {
            throw new GitCommandException($"'{newBranch}' is not a valid branch name");
        }

        if (newBranch == stage || await repository.TryResolveAsync("refs/heads/" + newBranch, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new GitCommandException($"branch '{newBranch}' exists already; choose another with --new-branch");
        }

        var parents = (await GitCli.RunAsync(git, ["rev-list", "--parents", "-n", "1", reverted], cancellationToken).ConfigureAwait(false))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length - 1;
        if (parents == 0)
        {
            throw new GitCommandException($"commit {reverted[..12]} is the branch's first commit: there is nothing to go back to");
        }

        var identity = await HasIdentityAsync(git, cancellationToken).ConfigureAwait(false)
            ? []
            : new[] { "-c", "user.name=Gitfleet", "-c", "user.email=gitfleet@localhost" };
        var worktree = Path.Combine(Path.GetTempPath(), "gitfleet-revert-" + Guid.NewGuid().ToString("N")[..12]);
        var messageFile = worktree + ".msg";
        await GitCli.RunAsync(git, ["worktree", "add", "--detach", "--quiet", worktree, head], cancellationToken).ConfigureAwait(false);
        try
        {
            List<string> revert = [.. identity, "revert", "--no-commit"];
            if (parents > 1)
            {
                revert.AddRange(["-m", "1"]);
            }

            revert.Add(reverted);
            try
            {
                await GitCli.RunAsync(worktree, revert, cancellationToken).ConfigureAwait(false);
            }
            catch (GitCommandException e)
            {
                var conflicts = (await GitCli.RunAsync(worktree, ["diff", "--name-only", "--diff-filter=U"], CancellationToken.None).ConfigureAwait(false)).Trim();
                throw new GitCommandException(conflicts.Length > 0
                    ? $"reverting {reverted[..12]} on '{stage}' conflicts with later commits in: {conflicts.ReplaceLineEndings(", ")}; revert it by hand"
                    : $"reverting {reverted[..12]} failed: {e.Message}", e);
            }

            if ((await GitCli.RunAsync(worktree, ["diff", "--cached", "--name-only"], cancellationToken).ConfigureAwait(false)).Trim().Length == 0)
            {
                throw new GitCommandException($"reverting {reverted[..12]} changes nothing on '{stage}' (was it reverted already?)");
            }

            await File.WriteAllTextAsync(messageFile, message, cancellationToken).ConfigureAwait(false);
            await GitCli.RunAsync(worktree, [.. identity, "commit", "--quiet", "--no-edit", "-F", messageFile], cancellationToken).ConfigureAwait(false);
            var created = (await GitCli.RunAsync(worktree, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();
            await GitCli.RunAsync(git, ["branch", "--no-track", newBranch, created], cancellationToken).ConfigureAwait(false);
            if (pushRemote is not null)
            {
                try
                {
                    await GitCli.RunAsync(git, ["push", "--quiet", pushRemote, $"refs/heads/{newBranch}:refs/heads/{newBranch}"], cancellationToken).ConfigureAwait(false);
                }
                catch (GitCommandException e)
                {
                    throw new GitCommandException($"branch '{newBranch}' (commit {created[..12]}) was created here, but pushing it failed: {e.Message}", e);
                }
            }

            return new PreparedRevert(newBranch, created, reverted, parents > 1, pushRemote);
        }
        finally
        {
            File.Delete(messageFile);
            await GitCli.RunAsync(git, ["worktree", "remove", "--force", worktree], CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<bool> HasIdentityAsync(string git, CancellationToken cancellationToken) =>
        await SucceedsAsync(git, ["config", "user.email"], cancellationToken).ConfigureAwait(false)
        && await SucceedsAsync(git, ["config", "user.name"], cancellationToken).ConfigureAwait(false);

    private static async Task<bool> SucceedsAsync(string git, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await GitCli.RunAsync(git, arguments, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (GitCommandException)
        {
            return false;
        }
    }
}
