using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.Configure;

/// <summary>
/// Configuration artifacts (built like Mender's deviceconfig builds them) installed by the real mender-client in
/// standalone mode, with Gitfleet's mender-configure module in its module directory.
/// </summary>
public sealed class MenderConfigureClientTests : IDisposable
{
    private readonly DeviceSandbox sandbox = new();
    private readonly MenderClient mender;

    public MenderConfigureClientTests()
    {
        mender = new MenderClient(sandbox, provisionedImage: "factory-image");
        sandbox.WriteHook("10-record", "#!/bin/sh\ncp \"$1\" \"$(dirname \"$0\")/../applied-by-hook.json\"\n");
    }

    [Fact]
    public async Task A_configuration_artifact_applies_runs_the_hooks_and_keeps_the_OS_image_provides()
    {
        await InstallOperatingSystemAsync("img-1");
        var configuration = Configuration("img-1", "https://kiosk.example");
        var artifact = await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-1", configuration);

        var install = await mender.InstallAsync(artifact);
        install.ExitCode.ShouldBe(0, install.StandardError);
        var commit = await mender.CommitAsync();
        commit.ExitCode.ShouldBe(0, commit.StandardError);

        var applied = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(sandbox.ConfigFile));
        applied.ShouldBe(configuration, ignoreOrder: true);
        File.ReadAllText(sandbox.Combine("applied-by-hook.json")).ShouldBe(File.ReadAllText(sandbox.ConfigFile));
        var provides = await mender.ShowProvidesAsync();
        provides["artifact_name"].ShouldBe("cfg-1");
        provides["rootfs-image.version"].ShouldBe("img-1"); // what Gitfleet reads as the installed image
    }

    [Fact]
    public async Task The_interlock_fails_the_install_and_leaves_the_old_configuration_and_artifact_name()
    {
        await InstallOperatingSystemAsync("img-1");
        await InstallConfigurationAsync("cfg-1", Configuration("img-1", "https://old"));
        var before = File.ReadAllText(sandbox.ConfigFile);
        var artifact = await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-2", Configuration("img-2", "https://new"));

        var install = await mender.InstallAsync(artifact);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("it was written for OS image 'img-2' but this device runs 'img-1'");
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(before);
        (await mender.ShowProvidesAsync())["artifact_name"].ShouldBe("cfg-1");
    }

    [Fact]
    public async Task A_failing_hook_makes_the_client_roll_back_to_the_previous_configuration()
    {
        await InstallConfigurationAsync("cfg-1", Configuration("factory-image", "https://old"));
        var before = File.ReadAllText(sandbox.ConfigFile);
        sandbox.WriteHook("20-reject-new", "#!/bin/sh\nif grep -q https://new \"$1\"; then echo 'kiosk_url rejected' >&2; exit 1; fi\n");
        var artifact = await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-2", Configuration("factory-image", "https://new"));

        var install = await mender.InstallAsync(artifact);

        install.ExitCode.ShouldNotBe(0);
        install.StandardError.ShouldContain("kiosk_url rejected");
        File.ReadAllText(sandbox.ConfigFile).ShouldBe(before);
        File.ReadAllText(sandbox.Combine("applied-by-hook.json")).ShouldBe(before); // re-applied after the rollback
        (await mender.ShowProvidesAsync())["artifact_name"].ShouldBe("cfg-1");
    }

    /// <summary>
    /// A contract for whoever builds configuration artifacts (Gitfleet's server): without clears_provides the
    /// 3.4 client drops every old provide, rootfs-image.version included, and the device's installed image is lost.
    /// mender-artifact's default (clears rootfs-image.mender-configure.*) keeps it, as the first test shows.
    /// </summary>
    [Fact]
    public async Task A_configuration_artifact_without_clears_provides_makes_the_client_forget_the_OS_image()
    {
        await InstallOperatingSystemAsync("img-1");
        var metaData = sandbox.Combine("meta-data.json");
        await File.WriteAllTextAsync(metaData, """{"expected_os_image": "img-1"}""");
        var artifact = sandbox.Combine("no-clears.mender");
        var write = await Gitfleet.Git.ProcessRunner.RunAsync("mender-artifact", ["write", "module-image", "-T", "mender-configure",
            "-n", "cfg-no-clears", "-t", MenderClient.DeviceType, "-m", metaData, "-o", artifact,
            "--no-default-clears-provides", "--no-default-software-version"]);
        write.ExitCode.ShouldBe(0, write.StandardError);

        (await mender.InstallAsync(artifact)).ExitCode.ShouldBe(0);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);

        (await mender.ShowProvidesAsync()).ShouldNotContainKey("rootfs-image.version");
    }

    public void Dispose() => sandbox.Dispose();

    private static Dictionary<string, string> Configuration(string image, string kioskUrl) => new()
    {
        ["expected_os_image"] = image,
        ["subscribed_branch"] = "main",
        ["kiosk_url"] = kioskUrl,
    };

    private async Task InstallOperatingSystemAsync(string image)
    {
        var install = await mender.InstallAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, image));
        install.ExitCode.ShouldBe(0, install.StandardError);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);
    }

    private async Task InstallConfigurationAsync(string name, Dictionary<string, string> configuration)
    {
        var install = await mender.InstallAsync(await DeviceArtifacts.ConfigurationAsync(sandbox, name, configuration));
        install.ExitCode.ShouldBe(0, install.StandardError);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);
    }
}
