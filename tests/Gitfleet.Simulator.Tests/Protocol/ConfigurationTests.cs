using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Simulator.Statistics;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Protocol;

public sealed class ConfigurationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_configuration_deployment_is_applied_reported_and_visible_through_the_management_api()
    {
        await using var run = await SimulationRun.StartAsync(server.Options("config", 1));
        await run.AllIdleAsync();
        var id = run.DeviceIds[0];
        var configuration = new Dictionary<string, string>
        {
            ["expected_os_image"] = "pi4-os-1",
            ["subscribed_branch"] = "canary",
            ["kiosk_url"] = "https://example.com/kiosk",
        };
        var deployment = await DeployConfigurationAsync(id, configuration);
        await run.UntilAsync(() => server.FinishedAsync(deployment), "finished");

        (await server.StatisticsAsync(deployment)).GetProperty("success").GetInt32().ShouldBe(1);
        var stored = await server.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deviceconfig/configurations/device/{id}");
        stored.GetProperty("reported").GetProperty("kiosk_url").GetString().ShouldBe("https://example.com/kiosk");
        stored.GetProperty("reported").GetProperty("subscribed_branch").GetString().ShouldBe("canary");
        var inventory = await server.InventoryAsync(id);
        inventory["gitfleet_config_checksum"].ShouldBe(ConfigurationChecksum.Compute(configuration));
        inventory["gitfleet_subscribed_branch"].ShouldBe("canary");
        inventory["gitfleet_config_matches_os_image"].ShouldBe("true");
        // A configuration artifact keeps rootfs-image.version: it clears only its own provides.
        inventory["rootfs-image.version"].ShouldBe("pi4-os-1");
        inventory["artifact_name"].ShouldStartWith("configuration-");
        run[0].Configuration!.OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(configuration.OrderBy(p => p.Key, StringComparer.Ordinal));
        run.Fleet.Statistics()[SimulatorEvent.ConfigurationReports].ShouldBe(1);

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task A_configuration_for_another_os_image_is_refused_by_the_interlock()
    {
        await using var run = await SimulationRun.StartAsync(server.Options("interlock", 1));
        await run.AllIdleAsync();
        var id = run.DeviceIds[0];
        var deployment = await DeployConfigurationAsync(id, new Dictionary<string, string> { ["expected_os_image"] = "pi4-os-9", ["kiosk_url"] = "https://x" });
        await run.UntilAsync(() => server.FinishedAsync(deployment), "finished");

        (await server.StatisticsAsync(deployment)).GetProperty("failure").GetInt32().ShouldBe(1);
        (await server.DeviceLogAsync(deployment, id)).ShouldContain(
            "refusing the configuration: it was written for OS image 'pi4-os-9' but this device runs 'pi4-os-1' (expected_os_image interlock)");
        run[0].Configuration.ShouldBeNull();
        run[0].ArtifactName.ShouldBe("pi4-os-1");
        var stored = await server.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deviceconfig/configurations/device/{id}");
        stored.TryGetProperty("reported", out var reported).ShouldBeTrue();
        reported.EnumerateObject().ShouldBeEmpty();
        run.Fleet.Statistics()[SimulatorEvent.InterlockRefusals].ShouldBe(1);

        run.ShouldHaveNoErrors();
    }

    private async Task<string> DeployConfigurationAsync(Guid device, Dictionary<string, string> configuration)
    {
        using (var put = await server.Admin.PutAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{device}", configuration))
        {
            put.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using var deploy = await server.Admin.PostAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{device}/deploy", new { retries = 0 });
        deploy.StatusCode.ShouldBe(HttpStatusCode.OK, await deploy.Content.ReadAsStringAsync());
        return (await deploy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString()!;
    }
}
