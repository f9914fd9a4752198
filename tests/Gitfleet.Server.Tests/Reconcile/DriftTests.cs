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
        (await fleet.GateAsync("main")).Reasons.ShouldContain("1 devices drifted from the desired state");
        (await kept.CheckInAsync()).ShouldBeNull("without correctDrift the drifted device is left alone");

        (await corrected.CheckInAsync()).ShouldNotBeNull("correctDrift schedules the desired image again");
        corrected.Image.ShouldBe("image-2");
        await corrected.ConvergeAsync();
        await fleet.RunAsync();
        var production = await fleet.StatusAsync("production");
        production.Devices.Converged.ShouldBe(1);
        production.Devices.Modified.ShouldBe(0);
    }
}
