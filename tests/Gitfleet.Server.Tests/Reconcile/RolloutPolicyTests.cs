using System.Net;
using System.Net.Http.Json;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>
/// gitfleet.yml's rollout rules for real fleets through the real server and simulated devices, with a manual clock:
/// maintenance windows with pre-staged downloads, phase timeouts, abort and revert, the declared pause.
/// </summary>
public sealed class RolloutPolicyTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task A_closed_window_holds_installs_while_downloads_proceed_and_opening_it_releases_them()
    {
        var modern = await fleet.DeviceAsync();
        var legacy = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-2");
        var opens = Hour(2);
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [modern, legacy] }, "image-2", settings: $"""
            branches:
              production:
                rollout:
                  windows:
                    - {"{"}name: night, hours: "{opens:HH}:00-{opens.AddHours(1):HH}:00", timezone: UTC{"}"}
            """);
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");

        (await modern.CheckInAsync()).ShouldNotBeNull();
        modern.PausedDeployment.ShouldNotBeNull("it downloaded and holds before installing");
        modern.Reports.ShouldBe(["downloading", "pause_before_installing"]);
        (await legacy.CheckInV1Async()).ShouldBe(HttpStatusCode.NoContent, "a client without control maps is offered nothing while its window is closed");
        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Held.ShouldBe(2);
        var waiting = status.Rollout.Waiting.ShouldHaveSingleItem();
        (waiting.Reason, waiting.Devices, waiting.Until).ShouldBe((WaitReason.Window, 2, opens));
        waiting.Message.ShouldBe($"window 'night' closed until {opens:u}");
        status.Issues.Where(i => i.State == "waiting").Select(i => i.Device).ShouldBe([modern.Id, legacy.Id], ignoreOrder: true);

        fleet.Time.Advance(opens - fleet.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        await modern.ConvergeAsync();
        modern.Image.ShouldBe("image-2", "the window opened: the map says continue");
        (await legacy.CheckInV1Async()).ShouldBe(HttpStatusCode.OK, "inside the window the deployment is offered");
        await legacy.ConvergeAsync();
        legacy.Image.ShouldBe("image-2");
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
    }

    [Fact]
    public async Task A_hanging_install_times_out_and_is_retried()
    {
        var device = await fleet.DeviceAsync();
        device.Hangs = name => name == "image-2";
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [device] }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      retries: 1\n      timeouts: {installing: 10m}\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        var first = await device.CheckInAsync();
        first.ShouldNotBeNull();
        await fleet.RunAsync();

        fleet.Time.Advance(TimeSpan.FromMinutes(9));
        await fleet.RunAsync();
        (await DeviceStatusAsync(first!)).ShouldBe("installing", "within its timeout");
        fleet.Time.Advance(TimeSpan.FromMinutes(2));
        await fleet.RunAsync();
        (await DeviceStatusAsync(first!)).ShouldBe("aborted", "the hung deployment is aborted");

        await fleet.RunAsync();
        var retry = await device.CheckInAsync();
        retry.ShouldNotBeNull("it is retried");
        retry.ShouldNotBe(first, "the retry is a new deployment");
        await fleet.RunAsync();

        // The retry hangs too: no retry is left, the device failed for good, timed out.
        fleet.Time.Advance(TimeSpan.FromMinutes(11));
        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        status.Devices.Failed.ShouldBe(1);
        status.Issues.Single(i => i.Device == device.Id).Reason.ShouldBe("timed out: installing for longer than 10m");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
    }

    private async Task<string> DeviceStatusAsync(string deployment)
    {
        var devices = await fleet.Admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/devices");
        return devices[0].GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task An_abort_rule_aborts_every_unfinished_deployment_of_the_rollout()
    {
        var broken = await fleet.DeviceAsync();
        broken.Fails = name => name == "image-2";
        var others = new[] { await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [broken, .. others] }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      abort:\n        - {on: failed, threshold: 1, action: abort}\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        (await broken.CheckInAsync()).ShouldNotBeNull();
        await fleet.RunAsync();

        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Aborted);
        status.Rollout.Message.ShouldContain("aborted by an abort rule: 1 of 1 finished devices of the wave failed (threshold 1, at least 1 finished): abort");
        foreach (var device in others)
        {
            (await device.CheckInAsync()).ShouldBeNull("their deployments were aborted");
            device.Image.ShouldBe("image-1");
        }

        await fleet.RunAsync();
        (await others[0].CheckInAsync()).ShouldBeNull("nothing more is scheduled for this commit");
    }

    [Fact]
    public async Task A_revert_rule_puts_the_devices_back_on_the_last_good_commit_as_a_rollout_of_its_own()
    {
        var healthy = await fleet.DeviceAsync();
        var broken = await fleet.DeviceAsync();
        broken.Fails = name => name == "image-2";
        await fleet.UploadImageAsync("image-1");
        await fleet.UploadImageAsync("image-2");
        const string Settings = "branches:\n  production:\n    rollout:\n      waves: [100%]\n      abort:\n        - {on: failed, threshold: 1, minFinished: 2, action: revert}\n";
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [healthy, broken] }, "image-1", settings: Settings);
        var good = fleet.Repository.Commit("image-1 for production");
        fleet.Repository.Git("branch", "-f", "production", good);
        await fleet.ReconcileAsync("production");
        await healthy.ConvergeAsync();
        await broken.ConvergeAsync();
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed, "the good commit");

        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [healthy, broken] }, "image-2", settings: Settings);
        var bad = fleet.Repository.Commit("image-2 for production");
        fleet.Repository.Git("branch", "-f", "production", bad);
        await fleet.ReconcileAsync("production");
        await healthy.ConvergeAsync();
        healthy.Image.ShouldBe("image-2");
        await broken.ConvergeAsync();
        broken.Image.ShouldBe("image-1", "its install failed and rolled back");
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Message.ShouldContain("the devices go back to the last good commit");

        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        status.AppliedCommit!.Sha.ShouldBe(good, "the revert rolls the last good commit out again");
        status.LastSeenCommit.ShouldBe(bad);
        status.Rollout!.RevertOf!.Commit.ShouldBe(bad);
        status.Rollout.RevertOf.Reason.ShouldContain("abort rule: 1 of 2 finished devices of the wave failed");
        status.Conditions.Single(c => c.Type == "Ready").Reason.ShouldBe("Reverted");

        await healthy.ConvergeAsync();
        healthy.Image.ShouldBe("image-1", "back on the last good commit's image");
        var history = await fleet.Admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/management/v1/gitfleet/devices/{healthy.Id}/history");
        var latest = history[0];
        latest.GetProperty("trace").GetProperty("commit").GetString().ShouldBe(good, "the revert is traced to the good commit");

        // The watcher sees the bad head again: it is not rolled out again.
        fleet.Time.Advance(TimeSpan.FromHours(2));
        await fleet.ReconcileAsync("production");
        (await healthy.CheckInAsync()).ShouldBeNull();
        (await fleet.StatusAsync("production")).AppliedCommit!.Sha.ShouldBe(good);
    }

    [Fact]
    public async Task Paused_in_gitfleet_yml_schedules_nothing_until_it_is_removed()
    {
        var device = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [device] }, "image-2", settings: "branches:\n  production:\n    paused: true\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2, paused"));
        await fleet.ReconcileAsync("production");
        (await device.CheckInAsync()).ShouldBeNull();
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Paused);
        status.Rollout.Message.ShouldContain("paused: true in gitfleet.yml");

        fleet.Repository.Write("gitfleet.yml", "branches:\n  production:\n    paused: false\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("unpause"));
        await fleet.ReconcileAsync("production");
        await device.ConvergeAsync();
        device.Image.ShouldBe("image-2");
    }

    /// <summary>The next whole hour plus <paramref name="hours"/>, on the harness's clock (UTC).</summary>
    private DateTimeOffset Hour(int hours)
    {
        var now = fleet.Time.GetUtcNow();
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(hours);
    }
}
