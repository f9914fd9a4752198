using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.Inventory;

/// <summary>
/// The real mender daemon with D-Bus enabled on a private system bus runs the inventory scripts; the
/// mender-configure reporter gets the token over io.mender.Authentication1.GetJwtToken and PUTs the applied
/// configuration; mender-inventory-gitfleet's attributes arrive in the inventory.
/// </summary>
public sealed class ConfigurationReportingTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly DeviceSandbox sandbox = new();

    [Fact]
    public async Task The_daemon_reports_the_applied_configuration_once_and_the_inventory_carries_the_facts()
    {
        await using var server = await DeviceApiStandIn.StartAsync();
        using var bus = await PrivateSystemBus.StartAsync(sandbox.Root);
        var mender = new MenderClient(sandbox, provisionedImage: "img-1", server.Address);
        var os = await mender.InstallAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-2"));
        os.ExitCode.ShouldBe(0, os.StandardError);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);
        var configuration = new Dictionary<string, string>
        {
            ["expected_os_image"] = "img-2",
            ["subscribed_branch"] = "canary",
            ["kiosk_url"] = "https://kiosk.example",
        };
        var install = await mender.InstallAsync(await DeviceArtifacts.ConfigurationAsync(sandbox, "cfg-1", configuration));
        install.ExitCode.ShouldBe(0, install.StandardError);
        (await mender.CommitAsync()).ExitCode.ShouldBe(0);

        using var daemon = await mender.StartDaemonUntilAsync(bus.Address, () => !server.ConfigurationReports.IsEmpty && !server.InventoryReports.IsEmpty,
            Patience, "its configuration report and inventory");

        var (authorization, body) = server.ConfigurationReports.ShouldHaveSingleItem();
        authorization.ShouldBe($"Bearer {DeviceApiStandIn.Token}");
        JsonSerializer.Deserialize<Dictionary<string, string>>(body).ShouldBe(configuration, ignoreOrder: true);
        var inventory = server.InventoryReports.First();
        inventory["gitfleet_os_image"].GetString().ShouldBe("img-2"); // from `mender show-provides` with the daemon's --data
        inventory["gitfleet_config_checksum"].GetString().ShouldBe(ConfigurationChecksum.Compute(configuration));
        inventory["gitfleet_subscribed_branch"].GetString().ShouldBe("canary");
        inventory["rootfs-image.version"].GetString().ShouldBe("img-2");

        // Another inventory round: the configuration is unchanged, so it is not reported again.
        var rounds = server.InventoryReports.Count;
        daemon.Signal("USR2");
        await Wait.UntilAsync(() => server.InventoryReports.Count > rounds, Patience, () => $"no second inventory:\n{daemon.Output}");
        server.ConfigurationReports.Count.ShouldBe(1);
        daemon.Output.ShouldNotContain(DeviceApiStandIn.Token);
    }

    public void Dispose() => sandbox.Dispose();
}
