using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.OsUpdate;

/// <summary>
/// Deployments taken by the real `mender daemon` from a minimal device API: the daemon walks the states standalone
/// mode skips (ArtifactReboot, ArtifactVerifyReboot, ArtifactRollbackReboot) and reports status and log.
/// </summary>
public sealed class DaemonDeploymentTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly DeviceSandbox sandbox = new();
    private DeviceApiStandIn server = null!;
    private PrivateSystemBus bus = null!;
    private MenderClient mender = null!;

    private string ActiveSlot => new FileInfo(Path.Combine(sandbox.AbRoot, "active")).LinkTarget!;

    public async Task InitializeAsync()
    {
        server = await DeviceApiStandIn.StartAsync();
        bus = await PrivateSystemBus.StartAsync(sandbox.Root);
        mender = new MenderClient(sandbox, provisionedImage: "img-1", server.Address);
    }

    [Fact]
    public async Task An_OS_deployment_switches_in_the_reboot_state_verifies_and_succeeds()
    {
        server.OfferDeployment(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"), "img-2");

        await DeployAsync();

        server.Statuses.Last().ShouldBe("success");
        server.Statuses.ShouldContain("rebooting");
        ActiveSlot.ShouldBe("b");
        (await mender.ShowProvidesAsync())["rootfs-image.version"].ShouldBe("img-2");
    }

    [Fact]
    public async Task An_OS_deployment_whose_health_check_fails_rolls_back_and_logs_why()
    {
        server.OfferDeployment(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-bad", "--failing-health-check"), "img-bad");

        await DeployAsync();

        server.Statuses.Last().ShouldBe("failure");
        server.DeploymentLog.ShouldContain("failing on purpose");
        ActiveSlot.ShouldBe("a");
        (await mender.ShowProvidesAsync()).ShouldNotContainKey("rootfs-image.version");
    }

    [Fact]
    public async Task A_configuration_for_another_image_fails_with_the_interlock_line_in_the_log()
    {
        var configuration = new Dictionary<string, string> { ["expected_os_image"] = "img-9", ["subscribed_branch"] = "main" };
        server.OfferDeployment(await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-1", configuration), "cfg-1");

        await DeployAsync();

        server.Statuses.Last().ShouldBe("failure");
        server.DeploymentLog.ShouldContain("it was written for OS image 'img-9' but this device runs 'img-1'");
        File.Exists(sandbox.ConfigFile).ShouldBeFalse();
    }

    public async Task DisposeAsync()
    {
        bus.Dispose();
        await server.DisposeAsync();
        sandbox.Dispose();
    }

    private async Task DeployAsync()
    {
        using var daemon = await mender.StartDaemonUntilAsync(bus.Address, () => !server.InventoryReports.IsEmpty, Patience, "its first inventory");
        daemon.Signal("USR1"); // check for an update now
        await Wait.UntilAsync(() => server.Finished, Patience,
            () => $"no final status and log (got {string.Join(", ", server.Statuses)}{(server.DeploymentLog.Length > 0 ? " and a log" : "")}); daemon output:\n{daemon.Output}");
    }
}
