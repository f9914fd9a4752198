using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Devices;

/// <summary>
/// Device state has one owner (the device service): every management operation that changes a device's status
/// takes effect on the device's very next request, whichever path made the change.
/// </summary>
public sealed class DeviceStateTests
{
    private const string DevAuth = "/api/management/v2/devauth/devices";

    [Fact]
    public async Task Every_change_of_a_device_status_takes_effect_on_its_very_next_request()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        var admin = fleet.Admin;

        // accept: a pending device is given a token on its next auth request.
        using var accepted = new SimulatedDevice(fleet.Server.Anonymous());
        (await accepted.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var (acceptedId, acceptedSet) = await TestServer.FindDeviceAsync(admin, accepted);
        await SetStatusAsync(admin, acceptedId, acceptedSet, "accepted");
        await accepted.AuthenticateAsync();
        await ExpectCheckInAsync(accepted, HttpStatusCode.NoContent, "accepted");

        // reject: the token it holds stops working at once.
        await SetStatusAsync(admin, acceptedId, acceptedSet, "rejected");
        await ExpectCheckInAsync(accepted, HttpStatusCode.Unauthorized, "rejected");
        (await accepted.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // dismiss (back to pending): locked out until accepted again.
        using var dismissed = await fleet.Server.AcceptedDeviceAsync();
        var (dismissedId, dismissedSet) = await TestServer.FindDeviceAsync(admin, dismissed);
        await SetStatusAsync(admin, dismissedId, dismissedSet, "pending");
        await ExpectCheckInAsync(dismissed, HttpStatusCode.Unauthorized, "dismissed");

        // delete auth set: its last one, so the device is gone.
        using var deleted = await fleet.Server.AcceptedDeviceAsync();
        var (deletedId, deletedSet) = await TestServer.FindDeviceAsync(admin, deleted);
        (await admin.DeleteAsync($"{DevAuth}/{deletedId}/auth/{deletedSet}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await ExpectCheckInAsync(deleted, HttpStatusCode.Unauthorized, "auth set deleted");
        (await admin.GetAsync($"{DevAuth}/{deletedId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // decommission.
        using var decommissioned = await fleet.Server.AcceptedDeviceAsync();
        (await admin.DeleteAsync($"{DevAuth}/{decommissioned.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await ExpectCheckInAsync(decommissioned, HttpStatusCode.Unauthorized, "decommissioned");

        // preauthorize: accepted on the first request.
        using var preauthorized = new SimulatedDevice(fleet.Server.Anonymous());
        using (var created = await admin.PostAsJsonAsync(DevAuth, new { identity_data = new Dictionary<string, string> { ["mac"] = preauthorized.Mac }, pubkey = preauthorized.PublicKeyPem }))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        await preauthorized.AuthenticateAsync();
        await ExpectCheckInAsync(preauthorized, HttpStatusCode.NoContent, "preauthorized");

        // admission from git: a pending device whose identity git declares is accepted by the next decision.
        using var declared = new SimulatedDevice(fleet.Server.Anonymous());
        (await declared.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        fleet.Repository.Write("inventory.yml", $"all:\n  children:\n    line:\n      vars:\n        subscribed_branch: main\n      hosts:\n        unit-1:\n          identity:\n            mac: \"{declared.Mac}\"\n");
        fleet.Repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: image-1\n");
        fleet.Repository.Commit("Declare unit 1");
        await fleet.ReconcileAsync("main");
        await declared.AuthenticateAsync();
        await ExpectCheckInAsync(declared, HttpStatusCode.NoContent, "admitted from git");
    }

    [Fact]
    public async Task Accept_and_reject_racing_leave_the_device_as_the_store_has_it()
    {
        await using var server = new TestServer();
        await server.InitializeAsync();
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        var (id, set) = await TestServer.FindDeviceAsync(admin, device);
        for (var round = 0; round < 15; round++)
        {
            var statuses = round % 2 == 0 ? new[] { "accepted", "rejected", "accepted", "rejected" } : ["rejected", "accepted", "rejected", "accepted"];
            var answers = await Task.WhenAll(statuses.Select(async status =>
            {
                using var response = await admin.PutAsJsonAsync($"{DevAuth}/{id}/auth/{set}/status", new { status });
                return response.StatusCode;
            }));
            answers.ShouldAllBe(code => code == HttpStatusCode.NoContent);
            var stored = (await admin.GetFromJsonAsync<JsonElement>($"{DevAuth}/{id}")).GetProperty("status").GetString();
            await ExpectCheckInAsync(device, stored == "accepted" ? HttpStatusCode.NoContent : HttpStatusCode.Unauthorized, $"round {round}: the store says {stored}");
        }
    }

    [Fact]
    public async Task A_device_decommissioned_during_its_check_ins_is_locked_out_at_once_without_an_error()
    {
        await using var server = new TestServer();
        await server.InitializeAsync();
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var checkIns = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await device.NextAsync();
                seen.Add(response.StatusCode);
            }
        })).ToList();
        await Task.Delay(200);
        (await admin.DeleteAsync($"{DevAuth}/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await ExpectCheckInAsync(device, HttpStatusCode.Unauthorized, "the very next request after the decommission");
        await stop.CancelAsync();
        await Task.WhenAll(checkIns);
        seen.ShouldContain(HttpStatusCode.NoContent);
        seen.ShouldAllBe(code => code == HttpStatusCode.NoContent || code == HttpStatusCode.Unauthorized);
    }

    private static async Task SetStatusAsync(HttpClient admin, string deviceId, string authSetId, string status)
    {
        using var response = await admin.PutAsJsonAsync($"{DevAuth}/{deviceId}/auth/{authSetId}/status", new { status });
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    private static async Task ExpectCheckInAsync(SimulatedDevice device, HttpStatusCode expected, string after)
    {
        using var response = await device.NextAsync();
        response.StatusCode.ShouldBe(expected, $"check-in after: {after}");
    }
}
