using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Statistics;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Protocol;

public sealed class AuthorizationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Devices_wait_pending_until_an_operator_accepts_them_then_report_inventory()
    {
        await using var run = await SimulationRun.StartAsync(server.Options("pending", 3, preauthorize: false));
        await run.UntilAsync(() => run.Devices.All(d => d.State == SimulatedDeviceState.PendingAuthorization), "all pending");
        var pending = await server.Admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?status=pending&per_page=500");
        var ours = pending.EnumerateArray().Where(d => d.GetProperty("identity_data").GetProperty("serial").GetString()!.StartsWith("pending-", StringComparison.Ordinal)).ToList();
        ours.Count.ShouldBe(3);
        ours[0].GetProperty("auth_sets")[0].GetProperty("pubkey").GetString()!.ShouldContain("BEGIN PUBLIC KEY");

        // Still pending after a retry: nothing happens without an operator.
        run.Clock.Advance(TimeSpan.FromSeconds(15));
        await run.Fleet.WhenIdleAsync();
        run.Devices.ShouldAllBe(d => d.State == SimulatedDeviceState.PendingAuthorization);

        foreach (var device in ours)
        {
            using var accept = await server.Admin.PutAsJsonAsync(
                $"/api/management/v2/devauth/devices/{device.GetProperty("id").GetString()}/auth/{device.GetProperty("auth_sets")[0].GetProperty("id").GetString()}/status",
                new { status = "accepted" });
            accept.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        await run.AllIdleAsync();
        var statistics = run.Fleet.Statistics();
        statistics[SimulatorEvent.AuthPending].ShouldBeGreaterThanOrEqualTo(6);
        statistics[SimulatorEvent.Authorized].ShouldBe(3);
        foreach (var device in run.Devices)
        {
            var inventory = await server.InventoryAsync(device.DeviceId!.Value);
            inventory["device_type"].ShouldBe("pi4-v3-arm64");
            inventory["artifact_name"].ShouldBe("pi4-os-1");
            inventory["rootfs-image.version"].ShouldBe("pi4-os-1");
            inventory["gitfleet_os_image"].ShouldBe("pi4-os-1");
            inventory["mender_client_version"].ShouldBe("3.4.0");
            inventory["hostname"].ShouldBe(device.Identity["serial"]);
            inventory.ShouldContainKey("mem_total_kB");
        }

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Preauthorized_devices_are_accepted_on_their_first_auth_request()
    {
        await using var run = await SimulationRun.StartAsync(server.Options("preauth", 4));
        await run.AllIdleAsync();
        var statistics = run.Fleet.Statistics();
        statistics[SimulatorEvent.Preauthorized].ShouldBe(4);
        statistics[SimulatorEvent.AuthPending].ShouldBe(0);
        foreach (var id in run.DeviceIds)
        {
            var device = await server.DevAuthAsync(id);
            device.GetProperty("status").GetString().ShouldBe("accepted");
            device.GetProperty("identity_data").GetProperty("mac").GetString().ShouldStartWith("02:");
        }

        // The same identities in a second simulator: their keys are derived from the identity, so the server knows them.
        await run.Fleet.StopAsync();
        await using var again = await SimulationRun.StartAsync(server.Options("preauth", 4) with { ManagementToken = null });
        await again.AllIdleAsync();
        again.DeviceIds.ShouldBe(run.DeviceIds);
        again.Fleet.Statistics()[SimulatorEvent.AuthPending].ShouldBe(0);

        run.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Devices_the_server_holds_as_pending_are_accepted_with_the_management_token()
    {
        await using (var first = await SimulationRun.StartAsync(server.Options("late", 2, preauthorize: false)))
        {
            await first.UntilAsync(() => first.Devices.All(d => d.State == SimulatedDeviceState.PendingAuthorization), "pending");
        }

        // Preauthorizing now answers 409 (identity known); the acceptor finds the pending sets with our keys and accepts them.
        await using var second = await SimulationRun.StartAsync(server.Options("late", 2));
        await second.AllIdleAsync();
        second.Fleet.Statistics()[SimulatorEvent.AutoAccepted].ShouldBe(2);

        second.ShouldHaveNoErrors();
    }
}
