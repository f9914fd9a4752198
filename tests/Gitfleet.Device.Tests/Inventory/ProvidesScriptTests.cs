namespace Gitfleet.Device.Tests.Inventory;

/// <summary>
/// mender-inventory-provides run in the real client's namespace: the server learns the installed OS image
/// (rootfs-image.version) also from a device that never installed an OS artifact, after a configuration deployment
/// changed its artifact name.
/// </summary>
public sealed class ProvidesScriptTests : IDisposable
{
    private readonly DeviceSandbox sandbox = new();

    [Fact]
    public async Task A_freshly_provisioned_device_reports_its_provisioned_image_also_after_a_configuration_install()
    {
        var mender = new MenderClient(sandbox, provisionedImage: "img-1");

        // `mender show-provides` prints nothing on such a device.
        (await ProvidesAsync(mender)).ShouldBe(new Dictionary<string, string> { ["rootfs-image.version"] = "img-1" });

        var configuration = new Dictionary<string, string> { ["expected_os_image"] = "img-1", ["subscribed_branch"] = "main" };
        (await mender.InstallAsync(await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-1", configuration))).ExitCode.ShouldBe(0);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);

        var provides = await ProvidesAsync(mender);
        provides["artifact_name"].ShouldBe("cfg-1");
        provides["rootfs-image.version"].ShouldBe("img-1", "the OS did not change: still the provisioned image");
    }

    [Fact]
    public async Task After_an_OS_install_the_client_s_own_provides_win()
    {
        var mender = new MenderClient(sandbox, provisionedImage: "img-1");
        (await mender.InstallAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"))).ExitCode.ShouldBe(0);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);

        (await ProvidesAsync(mender))["rootfs-image.version"].ShouldBe("img-2");
    }

    public void Dispose() => sandbox.Dispose();

    private async Task<Dictionary<string, string>> ProvidesAsync(MenderClient mender)
    {
        // The daemon would pass its --data; run alone, the script is told.
        var result = await mender.RunInNamespaceAsync("env", $"GITFLEET_MENDER_DATA={sandbox.MenderData}", DeviceSources.InventoryScript("mender-inventory-provides"));
        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardError.ShouldBeEmpty();
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }
}
