using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>The seeds' promotion flow through the server's git watcher: main → canary → production, gated.</summary>
public sealed class PromotionTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task A_commit_to_main_updates_only_main_devices_and_a_merge_brings_the_same_content_to_canary()
    {
        using var mainDevice = await fleet.DeviceAsync();
        using var canaryDevice = await fleet.DeviceAsync();
        using var productionDevice = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-1");
        await fleet.UploadImageAsync("image-2");
        var devices = new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [mainDevice], ["canary"] = [canaryDevice], ["production"] = [productionDevice] };
        fleet.WriteFleet(devices, "image-1");
        var start = fleet.Repository.Commit("Fleet on image-1");
        fleet.Repository.Git("branch", "-f", "canary", start);
        fleet.Repository.Git("branch", "-f", "production", start);
        foreach (var branch in new[] { "main", "canary", "production" })
        {
            await fleet.ReconcileAsync(branch);
        }

        foreach (var device in new[] { mainDevice, canaryDevice, productionDevice })
        {
            (await device.ConvergeAsync()).Count.ShouldBe(1, "the configuration was never reported: it is sent once");
        }

        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Conditions.Single(c => c.Type == "Ready").Status.ShouldBeTrue();

        fleet.WriteFleet(devices, "image-2", message: "hello from main");
        var change = fleet.Repository.Commit("Kiosks: image-2");
        foreach (var branch in new[] { "main", "canary", "production" })
        {
            await fleet.ReconcileAsync(branch);
        }

        (await canaryDevice.CheckInAsync()).ShouldBeNull("canary did not get the commit yet");
        (await productionDevice.CheckInAsync()).ShouldBeNull();
        (await mainDevice.ConvergeAsync()).Count.ShouldBe(2, "an OS image, then the configuration written for it");
        mainDevice.Image.ShouldBe("image-2");
        mainDevice.Configuration!["message"].ShouldBe("hello from main");
        mainDevice.Configuration["expected_os_image"].ShouldBe("image-2");
        mainDevice.Configuration["app_token"].ShouldBe(ReconcileHarness.AppToken);
        await fleet.RunAsync();
        var main = await fleet.StatusAsync("main");
        main.AppliedCommit!.Sha.ShouldBe(change);
        main.Devices.Converged.ShouldBe(1);
        main.Rollout!.Phase.ShouldBe(Gitfleet.Core.Rollouts.RolloutPhase.Completed);
        (await fleet.GateAsync("main", $"?commit={change}")).Passed.ShouldBeTrue();
        (await fleet.StatusAsync("canary")).AppliedCommit!.Sha.ShouldBe(start);

        fleet.Repository.Checkout("canary");
        var merge = fleet.Repository.Merge("main", "Promote image-2 to canary");
        fleet.Repository.Checkout("main");
        await fleet.ReconcileAsync("canary");
        (await canaryDevice.ConvergeAsync()).Count.ShouldBe(2);
        canaryDevice.Image.ShouldBe(mainDevice.Image);
        canaryDevice.Configuration!.Where(kv => kv.Key != "subscribed_branch").ShouldBe(
            mainDevice.Configuration!.Where(kv => kv.Key != "subscribed_branch"), ignoreOrder: true);
        canaryDevice.Configuration!["subscribed_branch"].ShouldBe("canary");
        (await productionDevice.CheckInAsync()).ShouldBeNull("production waits for its merge");
        await fleet.RunAsync();
        var gate = await fleet.GateAsync("canary", $"?commit={merge[..10]}&min_success=100%25");
        gate.Passed.ShouldBeTrue(string.Join("; ", gate.Reasons));

        // Traceability: the canary device's history names the merge that put the image and the configuration there.
        var history = await fleet.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/gitfleet/devices/{canaryDevice.Id}/history");
        var entries = history.EnumerateArray().ToList();
        var os = entries.First(e => e.GetProperty("kind").GetString() == "os");
        os.GetProperty("image").GetString().ShouldBe("image-2");
        os.GetProperty("status").GetString().ShouldBe("success");
        os.GetProperty("trace").GetProperty("commit").GetString().ShouldBe(merge);
        os.GetProperty("trace").GetProperty("branch").GetString().ShouldBe("canary");
        os.GetProperty("trace").GetProperty("subject").GetString().ShouldBe("Promote image-2 to canary");
        os.GetProperty("trace").GetProperty("author").GetString().ShouldBe("Fleet Operator <operator@example.com>");
        var configuration = entries.First(e => e.GetProperty("kind").GetString() == "configuration");
        configuration.GetProperty("trace").GetProperty("commit").GetString().ShouldBe(merge);
        configuration.GetProperty("configuration").GetProperty("message").GetString().ShouldBe("hello from main");
        configuration.GetProperty("configuration").GetProperty("app_token").GetString().ShouldBe("***");
        history.GetRawText().ShouldNotContain(ReconcileHarness.AppToken);
        entries.Last().GetProperty("trace").GetProperty("commit").GetString().ShouldBe(start, "the oldest entry is the first configuration");
    }

    [Fact]
    public async Task A_failure_on_canary_fails_the_gate_with_the_reason()
    {
        using var mainDevice = await fleet.DeviceAsync();
        using var canaryDevice = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-2");
        canaryDevice.Fails = name => name == "image-2";
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [mainDevice], ["canary"] = [canaryDevice] }, "image-2");
        var commit = fleet.Repository.Commit("image-2 everywhere");
        fleet.Repository.Git("branch", "-f", "canary", commit);
        await fleet.ReconcileAsync("canary");

        (await canaryDevice.CheckInAsync()).ShouldNotBeNull();
        await fleet.RunAsync();
        (await canaryDevice.CheckInAsync()).ShouldBeNull("the configuration written for image-2 is aborted with it");
        var status = await fleet.StatusAsync("canary");
        status.Devices.Failed.ShouldBe(1);
        var issue = status.Issues.ShouldHaveSingleItem();
        issue.Device.ShouldBe(canaryDevice.Id);
        issue.State.ShouldBe("failed");
        issue.Reason.ShouldContain("health check of image-2 failed: kiosk did not start");
        status.Conditions.Single(c => c.Type == "Ready").Reason.ShouldBe("DevicesFailed");

        var gate = await fleet.GateAsync("canary", $"?commit={commit}");
        gate.Passed.ShouldBeFalse();
        gate.Final.ShouldBeTrue("nothing is pending: waiting will not help");
        gate.Reasons.ShouldContain("1 of 1 devices failed");
        (await fleet.GateAsync("canary", "?commit=0123456789")).Reasons.ShouldContain(r => r.Contains("not 0123456789", StringComparison.Ordinal));
    }
}
