using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.OsUpdate;

/// <summary>
/// OS artifacts from gitfleet-make-os-artifact installed by the real mender-client (standalone: install, then
/// commit or rollback) with the gitfleet-ab module.
/// </summary>
public sealed class GitfleetAbClientTests : IDisposable
{
    private readonly DeviceSandbox sandbox = new();
    private readonly MenderClient mender;

    public GitfleetAbClientTests() => mender = new MenderClient(sandbox, provisionedImage: "img-1");

    private string ActiveSlot => new FileInfo(Path.Combine(sandbox.AbRoot, "active")).LinkTarget!;

    [Fact]
    public async Task An_OS_artifact_installs_into_the_inactive_slot_switches_on_commit_and_provides_the_new_version()
    {
        var rootfs = sandbox.Combine("rootfs-img-2");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "os-release"), "PRETTY_NAME=\"img-2\"\n");
        var artifact = await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2", "--rootfs", rootfs);

        var install = await mender.InstallAsync(artifact);

        install.ExitCode.ShouldBe(0, install.StandardError);
        ActiveSlot.ShouldBe("a"); // installed, not switched yet
        File.ReadAllText(Path.Combine(sandbox.AbRoot, "b", "rootfs", "etc", "os-release")).ShouldContain("img-2");

        var commit = await mender.CommitAsync();

        commit.ExitCode.ShouldBe(0, commit.StandardError);
        ActiveSlot.ShouldBe("b");
        File.Exists(Path.Combine(sandbox.AbRoot, "pending.json")).ShouldBeFalse();
        var provides = await mender.ShowProvidesAsync();
        provides["rootfs-image.version"].ShouldBe("img-2");
        provides["artifact_name"].ShouldBe("img-2");
    }

    [Fact]
    public async Task An_image_whose_health_check_fails_is_rolled_back_and_the_provides_stay()
    {
        await InstallAndCommitAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"));
        var failing = await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-3", "--failing-health-check");

        var install = await mender.InstallAsync(failing);
        install.ExitCode.ShouldBe(0, install.StandardError);
        var commit = await mender.CommitAsync();

        commit.ExitCode.ShouldNotBe(0);
        commit.StandardError.ShouldContain("failing on purpose");
        ActiveSlot.ShouldBe("b"); // back on img-2
        File.ReadAllText(Path.Combine(sandbox.AbRoot, "b", "image")).Trim().ShouldBe("img-2");
        var provides = await mender.ShowProvidesAsync();
        provides["rootfs-image.version"].ShouldBe("img-2");
        provides["artifact_name"].ShouldBe("img-2");
    }

    [Fact]
    public async Task A_device_health_check_hook_can_veto_an_image()
    {
        DeviceSandbox.WriteScript(Path.Combine(sandbox.HealthDirectory, "50-needs-marker"),
            "#!/bin/sh\ntest -f \"$1/rootfs/etc/healthy\" || { echo \"$GITFLEET_AB_IMAGE lacks /etc/healthy\" >&2; exit 1; }\n");
        var install = await mender.InstallAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"));
        install.ExitCode.ShouldBe(0, install.StandardError);

        var commit = await mender.CommitAsync();

        commit.ExitCode.ShouldNotBe(0);
        commit.StandardError.ShouldContain("img-2 lacks /etc/healthy");
        ActiveSlot.ShouldBe("a");
        (await mender.ShowProvidesAsync()).ShouldNotContainKey("rootfs-image.version");
    }

    [Fact]
    public async Task Mender_rollback_before_commit_keeps_the_old_slot()
    {
        var install = await mender.InstallAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"));
        install.ExitCode.ShouldBe(0, install.StandardError);

        var rollback = await mender.RollbackAsync();

        rollback.ExitCode.ShouldBe(0, rollback.StandardError);
        ActiveSlot.ShouldBe("a");
        File.Exists(Path.Combine(sandbox.AbRoot, "pending.json")).ShouldBeFalse();
        (await mender.ShowProvidesAsync()).ShouldNotContainKey("rootfs-image.version");
    }

    public void Dispose() => sandbox.Dispose();

    private async Task InstallAndCommitAsync(string artifact)
    {
        var install = await mender.InstallAsync(artifact);
        install.ExitCode.ShouldBe(0, install.StandardError);
        var commit = await mender.CommitAsync();
        commit.ExitCode.ShouldBe(0, commit.StandardError);
    }
}
