using System.Net.Http.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>Rancher Fleet's Modified state: a device that drifts from its desired state with nothing in flight.</summary>
public sealed class DriftTests
{
    [Fact]
    public async Task A_drifted_device_is_modified_and_with_correct_drift_it_is_converged_again()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var kept = await fleet.DeviceAsync();
        using var corrected = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [kept], ["production"] = [corrected] }, "image-2",
            settings: "branches:\n  production:\n    correctDrift: true\n");
        var commit = fleet.Repository.Commit("image-2");
        fleet.Repository.Git("branch", "-f", "production", commit);
        await fleet.ReconcileAsync("main");
        await fleet.ReconcileAsync("production");
        (await kept.ConvergeAsync()).Count.ShouldBe(2);
        (await corrected.ConvergeAsync()).Count.ShouldBe(2);
        await fleet.RunAsync();

        await kept.DriftAsync("image-0");
        await corrected.DriftAsync("image-0");
        await fleet.RunAsync();
        (await fleet.StatusAsync("main")).Devices.InProgress.ShouldBe(1, "within the grace period a device may still report its old state");

        fleet.Time.Advance(TimeSpan.FromMinutes(6));
        await fleet.RunAsync();
        var main = await fleet.StatusAsync("main");
        main.Devices.Modified.ShouldBe(1);
        var issue = main.Issues.ShouldHaveSingleItem();
        issue.State.ShouldBe("modified");
        issue.Reason.ShouldBe("runs image-0, git wants image-2");
        var gate = await fleet.GateAsync("main");
        gate.Reasons.ShouldContain("1 devices drifted from the desired state");
        gate.Reasons.ShouldContain($"device {kept.Id} drifted: runs image-0, git wants image-2", "the gate names the drifted devices");
        (await kept.CheckInAsync()).ShouldBeNull("without correctDrift the drifted device is left alone");

        (await corrected.CheckInAsync()).ShouldNotBeNull("correctDrift schedules the desired image again");
        corrected.Image.ShouldBe("image-2");
        await corrected.ConvergeAsync();
        await fleet.RunAsync();
        var production = await fleet.StatusAsync("production");
        production.Devices.Converged.ShouldBe(1);
        production.Devices.Modified.ShouldBe(0);
    }

    [Fact]
    public async Task A_configuration_changed_by_hand_is_corrected_once_with_one_deployment_traced_to_the_commit()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var device = await fleet.DeviceAsync();
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] }, "image-1", settings: "branches:\n  main:\n    correctDrift: true\n");
        var commit = fleet.Repository.Commit("The kiosk says hello");
        await fleet.ReconcileAsync("main");
        (await device.ConvergeAsync()).Count.ShouldBe(1, "one configuration deployment");
        var desired = device.Configuration!;
        await fleet.RunAsync();
        (await fleet.StatusAsync("main")).IsConverged.ShouldBeTrue();

        await device.ChangeConfigurationAsync(new Dictionary<string, string>(desired) { ["message"] = "changed by hand" });
        fleet.Time.Advance(TimeSpan.FromMinutes(6));
        await fleet.RunAsync();
        var deployments = (await fleet.DeploymentsAsync()).Count;
        (await device.ConvergeAsync()).Count.ShouldBe(1, "the correction reaches the device (a name it does not report as installed)");
        device.Configuration.ShouldBe(desired);

        for (var round = 0; round < 3; round++)
        {
            fleet.Time.Advance(TimeSpan.FromMinutes(6));
            await fleet.RunAsync();
            (await device.CheckInAsync()).ShouldBeNull("corrected once: nothing more is offered");
        }

        (await fleet.DeploymentsAsync()).Count.ShouldBe(deployments, "no deployment after the correction");
        var status = await fleet.StatusAsync("main");
        status.IsConverged.ShouldBeTrue();
        status.Devices.Modified.ShouldBe(0);
        var history = await fleet.Admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/management/v1/gitfleet/devices/{device.Id}/history");
        var correction = history[0];
        correction.GetProperty("kind").GetString().ShouldBe("configuration");
        correction.GetProperty("status").GetString().ShouldBe("success");
        correction.GetProperty("trace").GetProperty("commit").GetString().ShouldBe(commit);
        history.GetArrayLength().ShouldBe(2, "the first rollout and the one correction");
    }
}
