using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Git.Tests;

/// <summary>Reading fleet files from real git repositories: refs, merges, remotes, the untouched working tree.</summary>
public sealed class FleetRepositoryTests : IDisposable
{
    private readonly GitTestRepository repo = new();
    private readonly TempDirectory cache = new("gitfleet-cache");

    public FleetRepositoryTests()
    {
        repo.Write("inventory.yml", "all:\n  hosts:\n    a:\n")
            .Write("templates/kiosk.json", "{}")
            .Write("README.md", "not a fleet file")
            .Write("src/app.c", "int main(){}");
        repo.Commit("Initial fleet");
    }

    [Fact]
    public async Task Reads_only_fleet_files_at_a_ref_with_its_commit()
    {
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("main", default);
        snapshot.Files.Keys.Order().ShouldBe(["inventory.yml", "templates/kiosk.json"]);
        snapshot.Commit!.Sha.ShouldBe(repo.Head());
        snapshot.Commit.Subject.ShouldBe("Initial fleet");
        snapshot.Commit.Author.ShouldBe("Fleet Operator <operator@example.com>");
    }

    [Fact]
    public async Task Each_branch_is_read_at_its_own_head_and_merges_carry_changes()
    {
        repo.Checkout("canary", create: true).Checkout("main");
        repo.Write("group_vars/all.yml", "os_image: []\n").Commit("Add images on main");
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        (await repository.ReadSnapshotAsync("canary", default)).Files.ContainsKey("group_vars/all.yml").ShouldBeFalse();

        repo.Checkout("canary").Merge("main");
        (await repository.ReadSnapshotAsync("canary", default)).Files["group_vars/all.yml"].ShouldBe("os_image: []\n");
        (await repository.ListBranchesAsync(default)).ShouldBe(["canary", "main"], ignoreOrder: true);
    }

    [Fact]
    public async Task Never_reads_or_touches_the_working_tree()
    {
        repo.Write("inventory.yml", "uncommitted: true\n");
        var before = File.ReadAllText(Path.Combine(repo.Path, "inventory.yml"));
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("HEAD", default);
        snapshot.Files["inventory.yml"].ShouldBe("all:\n  hosts:\n    a:\n");
        File.ReadAllText(Path.Combine(repo.Path, "inventory.yml")).ShouldBe(before);
        repo.Git("status", "--porcelain").ShouldContain(" M inventory.yml");
    }

    [Fact]
    public async Task Remote_url_is_mirrored_into_the_cache_and_refreshed()
    {
        var url = "file://" + repo.Path;
        var first = await FleetRepository.OpenAsync(url, cache.Path, default);
        first.IsMirror.ShouldBeTrue();
        first.GitDirectory.ShouldStartWith(cache.Path);
        var head = (await first.ReadSnapshotAsync("main", default)).Commit!.Sha;

        var next = repo.Write("host_vars/a.yml", "x: 1\n").Commit("Second");
        next.ShouldNotBe(head);
        var second = await FleetRepository.OpenAsync(url, cache.Path, default);
        second.GitDirectory.ShouldBe(first.GitDirectory);
        (await second.ReadSnapshotAsync("main", default)).Commit!.Sha.ShouldBe(next);
    }

    [Fact]
    public async Task Unknown_ref_names_the_branches()
    {
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var error = await Should.ThrowAsync<GitCommandException>(() => repository.ReadSnapshotAsync("prodution", default));
        error.Message.ShouldContain("'prodution' is not a branch, tag or commit");
        error.Message.ShouldContain("branches: main");
    }

    [Fact]
    public async Task Refs_that_look_like_options_are_refused()
    {
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        (await repository.TryResolveAsync("--output=/tmp/x", default)).ShouldBeNull();
    }

    [Fact]
    public async Task Not_a_repository_gets_a_helpful_message()
    {
        using var empty = new TempDirectory();
        var error = await Should.ThrowAsync<GitCommandException>(() => FleetRepository.OpenAsync(empty.Path, cache.Path, default));
        error.Message.ShouldContain("is not a git repository");
        error.Message.ShouldContain("gitfleet init");
    }

    [Fact]
    public async Task Non_utf8_files_are_reported_not_decoded()
    {
        Directory.CreateDirectory(Path.Combine(repo.Path, "host_vars"));
        File.WriteAllBytes(Path.Combine(repo.Path, "host_vars", "b.yml"), [0x66, 0xff, 0xfe, 0x0a]);
        repo.Commit("Binary");
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("main", default);
        snapshot.UnreadableFiles["host_vars/b.yml"].ShouldBe("file is not UTF-8 text");
        snapshot.Files.ContainsKey("host_vars/b.yml").ShouldBeFalse();
    }

    [Fact]
    public async Task Many_files_are_read_in_one_batch()
    {
        for (var i = 0; i < 500; i++)
        {
            repo.Write($"host_vars/{i:D4}.yml", $"n: {i}\n");
        }

        repo.Commit("Many hosts");
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("main", default);
        snapshot.Files.Count.ShouldBe(502);
        snapshot.Files["host_vars/0321.yml"].ShouldBe("n: 321\n");
    }

    [Fact]
    public async Task Many_files_with_shared_contents_are_read_over_several_processes_in_tree_order()
    {
        // 1,200 files, a third of them sharing one content: enough objects for more than one git process.
        for (var i = 0; i < 1200; i++)
        {
            repo.Write($"host_vars/{i:D4}.yml", i % 3 == 0 ? "shared: true\n" : $"n: {i}\n");
        }

        repo.Write("host_vars/bom.yml", "\uFEFFbom: true\n");
        repo.Commit("Many hosts");
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("main", default);
        snapshot.Files.Count.ShouldBe(1203);
        snapshot.Files.Keys.ShouldBe(snapshot.Files.Keys.Order(StringComparer.Ordinal), "git's tree order, whatever process read a file");
        snapshot.Files["host_vars/0999.yml"].ShouldBe("shared: true\n");
        snapshot.Files["host_vars/1000.yml"].ShouldBe("n: 1000\n");
        snapshot.Files["host_vars/0001.yml"].ShouldBe("n: 1\n");
        snapshot.Files["host_vars/bom.yml"].ShouldBe("bom: true\n");
        snapshot.UnreadableFiles.ShouldBeEmpty();
    }

    [Fact]
    public async Task Files_over_the_size_limit_are_reported_not_kept()
    {
        Directory.CreateDirectory(Path.Combine(repo.Path, "host_vars"));
        var size = FleetRepository.MaxFileBytes + 1;
        File.WriteAllText(Path.Combine(repo.Path, "host_vars", "big.yml"), "x: " + new string('y', size - 4) + "\n");
        repo.Write("host_vars/small.yml", "x: 1\n");
        repo.Commit("Big");
        var repository = await FleetRepository.OpenAsync(repo.Path, cache.Path, default);
        var snapshot = await repository.ReadSnapshotAsync("main", default);
        snapshot.UnreadableFiles["host_vars/big.yml"].ShouldBe($"file is {size} bytes; fleet files are limited to {FleetRepository.MaxFileBytes} bytes");
        snapshot.Files.ContainsKey("host_vars/big.yml").ShouldBeFalse();
        snapshot.Files["host_vars/small.yml"].ShouldBe("x: 1\n", "the object after the big one is read whole");
    }

    [Fact]
    public void Credentials_never_appear_in_messages() =>
        GitCli.RedactUrls("fatal: could not read from https://user:s3cr3t@git.example.com/fleet.git")
            .ShouldBe("fatal: could not read from https://***@git.example.com/fleet.git");

    [Fact]
    public void Working_tree_reader_reads_files_on_disk()
    {
        var snapshot = WorkingTreeReader.Read(repo.Path);
        snapshot.Files.Keys.Order().ShouldBe(["inventory.yml", "templates/kiosk.json"]);
        snapshot.Commit.ShouldBeNull();
    }

    public void Dispose()
    {
        repo.Dispose();
        cache.Dispose();
    }
}

public sealed class CiCheckoutTests
{
    [Fact]
    public async Task Stage_branches_of_a_ci_clone_are_found_on_origin()
    {
        using var origin = new GitTestRepository();
        origin.Write("inventory.yml", "all:\n").Commit("fleet");
        origin.Git("branch", "canary");
        origin.Git("branch", "production");
        using var clone = new TempDirectory("ci-clone");
        // What actions/checkout does: a clone with only the built branch local, the others as origin/*.
        (await ProcessRunner.RunAsync("git", ["clone", "--quiet", "--branch", "production", origin.Path, clone.Path])).ExitCode.ShouldBe(0);
        using var cache = new TempDirectory();
        var repository = await FleetRepository.OpenAsync(clone.Path, cache.Path, default);
        (await repository.ListBranchesAsync(default)).ShouldBe(["canary", "main", "production"]);
        (await repository.TryResolveAsync("canary", default)).ShouldBe(origin.Head("canary"));
        (await repository.ReadSnapshotAsync("main", default)).Files.ContainsKey("inventory.yml").ShouldBeTrue();
        (await repository.TryResolveTreeAsync("canary", default)).ShouldBe(await repository.TryResolveTreeAsync("production", default));
    }
}
