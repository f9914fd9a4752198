using Gitfleet.Device.Tests.Support;
using Gitfleet.Git;

namespace Gitfleet.Device.Tests.OsUpdate;

/// <summary>
/// The gitfleet-ab module through the states the Mender daemon walks (standalone mode never calls the reboot
/// states): ArtifactInstall, ArtifactReboot, ArtifactVerifyReboot, ArtifactCommit, or ArtifactRollback.
/// </summary>
public sealed class GitfleetAbModuleTests : IDisposable
{
    private const string Module = "gitfleet-ab";
    private readonly DeviceSandbox sandbox = new();

    private string ActiveSlot => new FileInfo(Path.Combine(sandbox.AbRoot, "active")).LinkTarget!;

    [Fact]
    public async Task Answers_that_it_supports_rollback_and_reboots_itself()
    {
        var tree = await OsTreeAsync("img-2", healthy: true);
        (await Run("SupportsRollback", tree)).StandardOutput.Trim().ShouldBe("Yes");
        (await Run("NeedsArtifactReboot", tree)).StandardOutput.Trim().ShouldBe("Yes");
    }

    [Fact]
    public async Task The_daemon_path_installs_switches_in_the_reboot_state_verifies_and_commits()
    {
        var tree = await OsTreeAsync("img-2", healthy: true);

        (await Run("ArtifactInstall", tree)).ExitCode.ShouldBe(0);
        ActiveSlot.ShouldBe("a");
        File.ReadAllText(Path.Combine(sandbox.AbRoot, "b", "rootfs", "etc", "gitfleet-image")).Trim().ShouldBe("img-2");

        (await Run("ArtifactReboot", tree)).ExitCode.ShouldBe(0);
        ActiveSlot.ShouldBe("b");

        var verify = await Run("ArtifactVerifyReboot", tree);
        verify.ExitCode.ShouldBe(0, verify.StandardError);
        verify.StandardError.ShouldContain("'img-2' is healthy");

        var commit = await Run("ArtifactCommit", tree);
        commit.ExitCode.ShouldBe(0, commit.StandardError);
        commit.StandardError.ShouldNotContain("running "); // verified once, in ArtifactVerifyReboot
        ActiveSlot.ShouldBe("b");
        File.Exists(Path.Combine(sandbox.AbRoot, "pending.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_failing_health_check_in_verify_reboot_is_undone_by_rollback()
    {
        var tree = await OsTreeAsync("img-2", healthy: false);
        await SucceedAsync(tree, "ArtifactInstall", "ArtifactReboot");

        var verify = await Run("ArtifactVerifyReboot", tree);

        verify.ExitCode.ShouldNotBe(0);
        verify.StandardError.ShouldContain("failing on purpose");
        verify.StandardError.ShouldContain("rolling back to slot a");

        await SucceedAsync(tree, "ArtifactRollback", "ArtifactRollbackReboot", "ArtifactVerifyRollbackReboot", "ArtifactFailure", "Cleanup");
        ActiveSlot.ShouldBe("a");
        File.Exists(Path.Combine(sandbox.AbRoot, "pending.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Verify_reboot_fails_when_the_switch_was_undone_behind_its_back()
    {
        var tree = await OsTreeAsync("img-2", healthy: true);
        await SucceedAsync(tree, "ArtifactInstall", "ArtifactReboot");
        File.Delete(Path.Combine(sandbox.AbRoot, "active"));
        File.CreateSymbolicLink(Path.Combine(sandbox.AbRoot, "active"), "a"); // e.g. a watchdog fell back

        var verify = await Run("ArtifactVerifyReboot", tree);

        verify.ExitCode.ShouldNotBe(0);
        verify.StandardError.ShouldContain("slot a is active after the switch, expected b");
    }

    [Fact]
    public async Task Consecutive_updates_alternate_slots_and_replace_the_old_content()
    {
        foreach (var (image, slot) in new[] { ("img-2", "b"), ("img-3", "a"), ("img-4", "b") })
        {
            await SucceedAsync(await OsTreeAsync(image, healthy: true), "ArtifactInstall", "ArtifactCommit");
            ActiveSlot.ShouldBe(slot);
            File.ReadAllText(Path.Combine(sandbox.AbRoot, slot, "image")).Trim().ShouldBe(image);
        }

        Directory.GetFileSystemEntries(sandbox.AbRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .ShouldBe(["a", "active", "b"]);
    }

    [Fact]
    public async Task A_new_install_over_a_switched_but_uncommitted_update_returns_to_the_known_good_slot_first()
    {
        await SucceedAsync(await OsTreeAsync("img-2", healthy: true), "ArtifactInstall", "ArtifactReboot");
        ActiveSlot.ShouldBe("b"); // the client died before committing img-2

        var install = await Run("ArtifactInstall", await OsTreeAsync("img-3", healthy: true));

        install.ExitCode.ShouldBe(0, install.StandardError);
        install.StandardError.ShouldContain("returning to slot a");
        ActiveSlot.ShouldBe("a");
        File.ReadAllText(Path.Combine(sandbox.AbRoot, "b", "image")).Trim().ShouldBe("img-3");
    }

    [Fact]
    public async Task An_artifact_without_an_OS_payload_is_refused()
    {
        var tree = ModuleTree.Create(sandbox, Module, "img-2");

        var install = await Run("ArtifactInstall", tree);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("no OS payload");
    }

    public void Dispose() => sandbox.Dispose();

    /// <summary>The file tree the client would prepare for an artifact from gitfleet-make-os-artifact.</summary>
    private async Task<string> OsTreeAsync(string image, bool healthy)
    {
        var rootfs = sandbox.Combine($"rootfs-{image}");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "gitfleet-image"), image + "\n");
        var tarball = sandbox.Combine($"{image}.tar");
        (await ProcessRunner.RunAsync("tar", ["-cf", tarball, "-C", rootfs, "."])).ExitCode.ShouldBe(0);
        var health = DeviceSandbox.WriteScript(sandbox.Combine($"{image}.health-check"),
            healthy ? "#!/bin/sh\nexit 0\n" : "#!/bin/sh\necho 'failing on purpose' >&2\nexit 1\n");
        return ModuleTree.Create(sandbox, Module, image,
            provides: new Dictionary<string, string> { ["rootfs-image.version"] = image },
            files: new Dictionary<string, string> { ["rootfs.tar"] = tarball, ["health-check"] = health });
    }

    private async Task SucceedAsync(string tree, params string[] states)
    {
        foreach (var state in states)
        {
            var result = await Run(state, tree);
            result.ExitCode.ShouldBe(0, $"{state}: {result.StandardError}");
        }
    }

    private Task<ProcessResult> Run(string state, string tree) => sandbox.RunAsync(DeviceSources.Module(Module), [state, tree]);
}
