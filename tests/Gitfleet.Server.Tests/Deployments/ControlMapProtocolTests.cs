using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.Deployments;

/// <summary>
/// The device API's side of maintenance windows, with the install gate set by hand: a gated device that asks for
/// control maps downloads at once and waits; one that does not is not offered anything while held; the map answers
/// pause, then continue, and 404 once the deployment is gone.
/// </summary>
public sealed class ControlMapProtocolTests
{
    private static readonly MaintenanceCalendar Evenings = MaintenanceCalendar.For(
        [new MaintenanceWindow { Name = "evenings", Schedule = new WeeklyWindowSchedule(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(18, 0), new TimeOnly(20, 0)) }], []);

    [Fact]
    public async Task A_held_device_downloads_and_waits_for_the_window_and_a_client_without_maps_is_offered_nothing()
    {
        await using var harness = await ReconcileHarness.StartAsync();
        harness.Time.Advance(TimeOfDay(harness, 12));
        using var modern = await harness.DeviceAsync();
        using var legacy = await harness.DeviceAsync();
        using var free = await harness.DeviceAsync();
        await harness.UploadImageAsync("image-2");
        var deployment = await CreateAsync(harness, "image-2", modern.Id, legacy.Id, free.Id);
        var holds = harness.Server.Server.Services.GetRequiredService<InstallHolds>();
        holds.PublishTarget("production", 1, new Dictionary<string, MaintenanceCalendar> { ["evenings"] = Evenings },
            new Dictionary<string, string> { [modern.Id] = "evenings", [legacy.Id] = "evenings" });

        (await modern.CheckInAsync()).ShouldBe(deployment);
        modern.PausedDeployment.ShouldBe(deployment);
        modern.Reports.ShouldBe(["downloading", "pause_before_installing"]);
        modern.Image.ShouldBe("image-1", "downloaded, not installed");
        (await legacy.CheckInV1Async()).ShouldBe(HttpStatusCode.NoContent, "a client without control maps waits for the window");
        (await free.CheckInAsync()).ShouldBe(deployment);
        free.Image.ShouldBe("image-2", "a device without windows installs at once, without a map");

        (await modern.CheckInAsync()).ShouldBe(deployment, "still paused: it asks for the map again");
        modern.Reports.Count(r => r == "pause_before_installing").ShouldBe(1, "the pause is reported once");
        (await Statuses(harness, deployment)).ShouldContain("pause_before_installing");

        harness.Time.Advance(TimeSpan.FromHours(6));
        (await modern.CheckInAsync()).ShouldBe(deployment);
        modern.Image.ShouldBe("image-2", "the window opened: the next map says continue");
        modern.PausedDeployment.ShouldBeNull();
        (await legacy.CheckInV1Async()).ShouldBe(HttpStatusCode.OK, "inside the window the v1 client is offered the deployment");
    }

    [Fact]
    public async Task The_map_of_an_aborted_deployment_is_404_and_the_client_gives_it_up()
    {
        await using var harness = await ReconcileHarness.StartAsync();
        harness.Time.Advance(TimeOfDay(harness, 12));
        using var device = await harness.DeviceAsync();
        await harness.UploadImageAsync("image-2");
        var deployment = await CreateAsync(harness, "image-2", device.Id);
        harness.Server.Server.Services.GetRequiredService<InstallHolds>().PublishTarget("production", 1,
            new Dictionary<string, MaintenanceCalendar> { ["evenings"] = Evenings }, new Dictionary<string, string> { [device.Id] = "evenings" });
        (await device.CheckInAsync()).ShouldBe(deployment);
        device.PausedDeployment.ShouldBe(deployment);

        (await harness.Admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{deployment}/status", new { status = "aborted" })).EnsureSuccessStatusCode();
        using var map = await device.Simulated.SendAsync(HttpMethod.Get, $"/api/devices/v2/deployments/device/deployments/{deployment}/update_control_map");
        map.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var stranger = await harness.DeviceAsync();
        using var foreign = await stranger.Simulated.SendAsync(HttpMethod.Get, $"/api/devices/v2/deployments/device/deployments/{deployment}/update_control_map");
        foreign.StatusCode.ShouldBe(HttpStatusCode.NotFound, "another device's deployment is not found either");
        (await device.CheckInAsync()).ShouldBe(deployment);
        device.PausedDeployment.ShouldBeNull("a 404 is an abort for the client");
        device.Image.ShouldBe("image-1");
    }

    private static TimeSpan TimeOfDay(ReconcileHarness harness, int hour)
    {
        var now = harness.Time.GetUtcNow();
        var target = new DateTimeOffset(now.Year, now.Month, now.Day, hour, 0, 0, TimeSpan.Zero);
        return (target > now ? target : target.AddDays(1)) - now;
    }

    private static async Task<string> CreateAsync(ReconcileHarness harness, string artifact, params string[] devices)
    {
        using var response = await harness.Admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = artifact, artifact_name = artifact, devices });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString().Split('/')[^1];
    }

    private static async Task<List<string>> Statuses(ReconcileHarness harness, string deployment)
    {
        var devices = await harness.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/devices");
        return devices.EnumerateArray().Select(d => d.GetProperty("status").GetString()!).ToList();
    }
}
