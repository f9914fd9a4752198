using Gitfleet.Core.Repository;
using Gitfleet.TestSupport;

namespace Gitfleet.Git.Tests;

/// <summary>The git side of `gitfleet revert` with the real git CLI: what lands where, and what is left alone.</summary>
public sealed class BranchReverterTests : IDisposable
{
    private readonly GitTestRepository repository = new();
    private readonly string merge;

    public BranchReverterTests()
    {
        repository.Write("inventory.yml", "all: {}\n").Write("group_vars/all.yml", "image: one\n").Commit("Fleet");
        repository.Git("branch", "production");
        repository.Checkout("image-two", create: true).Write("group_vars/all.yml", "image: two\n").Commit("Image two");
        repository.Checkout("production").Merge("image-two", "Merge image two into production");
        merge = repository.Head();
        repository.Write("README.md", "later, unrelated\n").Commit("Docs");
        repository.Checkout("main");
    }

    public void Dispose() => repository.Dispose();

    private async Task<FleetRepository> OpenAsync() => await FleetRepository.OpenAsync(repository.Path, Path.GetTempPath(), CancellationToken.None);

    private static string Message(string sha) => RevertMessage.Build(
        new CommitInfo(sha, "Ann <ann@example.com>", "Merge image two into production", DateTimeOffset.UnixEpoch), "production",
        [new FailedDevice("5ef8d2c0-0000-4000-8000-000000000001", "OS image two failed: health check failed:\nkiosk did not start")], 3, 40);

    [Fact]
    public async Task A_merge_is_reverted_on_a_new_branch_on_top_of_the_stage_and_the_stage_is_untouched()
    {
        var fleet = await OpenAsync();
        var productionBefore = repository.Head("production");
        var prepared = await BranchReverter.PrepareAsync(fleet, "production", merge, "revert/production-x", Message(merge), null, CancellationToken.None);

        prepared.WasMerge.ShouldBeTrue();
        prepared.Reverted.ShouldBe(merge);
        repository.Head("production").ShouldBe(productionBefore);
        repository.Head("revert/production-x").ShouldBe(prepared.Commit);
        repository.Head("revert/production-x^").ShouldBe(productionBefore, "the revert sits on the stage's head");
        repository.Git("show", "revert/production-x:group_vars/all.yml").ShouldBe("image: one\n");
        repository.Git("show", "revert/production-x:README.md").ShouldBe("later, unrelated\n", "later commits are kept");

        var message = repository.Git("log", "-1", "--format=%B", "revert/production-x");
        message.ShouldStartWith("Revert \"Merge image two into production\"\n\nThis reverts commit " + merge);
        message.ShouldContain("Failed devices (3 of 40):\n- 5ef8d2c0-0000-4000-8000-000000000001: OS image two failed: health check failed: kiosk did not start\n- ... and 2 more");
        message.ShouldContain("Gitfleet-Reverts: " + merge);

        repository.Git("rev-parse", "--abbrev-ref", "HEAD").Trim().ShouldBe("main", "the user's checkout is untouched");
        repository.Git("status", "--porcelain").ShouldBeEmpty();
        repository.Git("worktree", "list").Trim().Split('\n').Length.ShouldBe(1, "the temporary worktree is gone");
    }

    [Fact]
    public async Task Only_the_new_branch_is_pushed()
    {
        using var remote = new TempDirectory("gitfleet-remote");
        repository.Git("init", "--quiet", "--bare", remote.Path);
        repository.Git("remote", "add", "origin", remote.Path);
        repository.Git("push", "--quiet", "origin", "production");
        var remoteProduction = repository.Git("--git-dir", remote.Path, "rev-parse", "production").Trim();

        var prepared = await BranchReverter.PrepareAsync(await OpenAsync(), "production", merge, "revert/p", Message(merge), "origin", CancellationToken.None);

        prepared.PushedTo.ShouldBe("origin");
        repository.Git("--git-dir", remote.Path, "rev-parse", "revert/p").Trim().ShouldBe(prepared.Commit);
        repository.Git("--git-dir", remote.Path, "rev-parse", "production").Trim().ShouldBe(remoteProduction);
    }

    [Fact]
    public async Task A_conflicting_revert_fails_clearly_and_leaves_nothing_behind()
    {
        repository.Checkout("production").Write("group_vars/all.yml", "image: three\n").Commit("Image three by hand");
        repository.Checkout("main");
        var fleet = await OpenAsync();
        var error = await Should.ThrowAsync<GitCommandException>(() =>
            BranchReverter.PrepareAsync(fleet, "production", merge, "revert/c", Message(merge), null, CancellationToken.None));
        error.Message.ShouldContain("conflicts with later commits in: group_vars/all.yml");
        repository.Git("branch", "--list", "revert/c").ShouldBeEmpty();
        repository.Git("worktree", "list").Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public async Task Commits_off_the_stage_existing_branches_and_bad_names_are_refused()
    {
        var fleet = await OpenAsync();
        repository.Checkout("image-two").Write("x.txt", "x\n").Commit("Not on production");
        repository.Checkout("main");
        (await Should.ThrowAsync<GitCommandException>(() => BranchReverter.PrepareAsync(fleet, "production", repository.Head("image-two"), "r1", "m", null, CancellationToken.None)))
            .Message.ShouldContain("is not on branch 'production'");
        (await Should.ThrowAsync<GitCommandException>(() => BranchReverter.PrepareAsync(fleet, "production", merge, "image-two", "m", null, CancellationToken.None)))
            .Message.ShouldContain("branch 'image-two' exists already");
        (await Should.ThrowAsync<GitCommandException>(() => BranchReverter.PrepareAsync(fleet, "production", merge, "production", "m", null, CancellationToken.None)))
            .Message.ShouldContain("exists already");
        (await Should.ThrowAsync<GitCommandException>(() => BranchReverter.PrepareAsync(fleet, "production", merge, "bad..name", "m", null, CancellationToken.None)))
            .Message.ShouldContain("is not a valid branch name");
        (await Should.ThrowAsync<GitCommandException>(() => BranchReverter.PrepareAsync(fleet, "nosuch", merge, "r2", "m", null, CancellationToken.None)))
            .Message.ShouldContain("no branch 'nosuch'");
    }

    [Fact]
    public async Task A_plain_commit_is_reverted_too_and_the_message_says_when_no_server_was_asked()
    {
        var docs = repository.Head("production");
        var message = RevertMessage.Build(new CommitInfo(docs, "a", "Docs", DateTimeOffset.UnixEpoch), "production", null, 0, null);
        var prepared = await BranchReverter.PrepareAsync(await OpenAsync(), "production", docs, "revert/docs", message, null, CancellationToken.None);
        prepared.WasMerge.ShouldBeFalse();
        repository.Git("ls-tree", "--name-only", "revert/docs").ShouldNotContain("README.md");
        repository.Git("log", "-1", "--format=%B", "revert/docs").ShouldContain("No server was asked: the failing devices are not listed.");
    }
}
