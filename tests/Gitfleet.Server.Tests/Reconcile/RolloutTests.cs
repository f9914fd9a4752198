using System.Net;
using System.Net.Http.Json;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>Production's rollout policy through real deployments: waves, threshold, resume, soak, offline timeout, abort.</summary>
[Trait(PostgresSubset.Trait, PostgresSubset.Value)]
public sealed class RolloutTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task Production_rolls_out_in_waves_pauses_at_the_failure_threshold_and_resume_finishes_it()
    {
        var devices = await DevicesAsync(10);
        await fleet.UploadImageAsync("image-2");
        var failOnce = 0;
        foreach (var device in devices)
        {
            device.Fails = name => name == "image-2" && Interlocked.Exchange(ref failOnce, 0) == 1;
        }

        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      waves: [10%, 50%, 100%]\n      failureThreshold: 1\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");

        var wave1 = await ConvergeOfferedAsync(devices);
        wave1.Count.ShouldBe(1, "wave 1 is 10% of 10 devices");
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Wave.ShouldBe(1);
        status.Rollout.Waves.ShouldBe(3);

        await fleet.RunAsync();
        Interlocked.Exchange(ref failOnce, 1);
        var wave2 = await ConvergeOfferedAsync(devices);
        wave2.Count.ShouldBe(4, "wave 2 covers 50%: four more devices");
        await fleet.RunAsync();
        status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Paused);
        status.Rollout.Message.ShouldContain("1 of 10 devices failed");
        status.Devices.Failed.ShouldBe(1);
        status.Devices.Converged.ShouldBe(4);
        status.Conditions.Single(c => c.Type == "Ready").Reason.ShouldBe("RolloutPaused");
        (await ConvergeOfferedAsync(devices)).ShouldBeEmpty("a paused rollout schedules nothing");

        using (var resume = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/production/rollout/resume", null))
        {
            resume.StatusCode.ShouldBe(HttpStatusCode.OK);
            var resumed = (await resume.Content.ReadFromJsonAsync(ReconcileJson.Context.BranchStatus))!;
            resumed.Rollout!.Phase.ShouldBe(RolloutPhase.Progressing);
            resumed.Rollout.Wave.ShouldBe(3);
        }

        (await ConvergeOfferedAsync(devices)).Count.ShouldBe(5, "the last wave");
        await fleet.RunAsync();
        status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
        status.Rollout.CompletedAt.ShouldNotBeNull();
        status.Devices.Converged.ShouldBe(9);
        status.Devices.Failed.ShouldBe(1);
        (await fleet.DeploymentsAsync()).Count(d => d.GetProperty("kind").GetString() == "os").ShouldBe(3, "one OS deployment per wave decision");
    }

    [Fact]
    public async Task Waves_soak_on_the_clock_and_a_silent_device_stops_blocking_after_the_offline_timeout()
    {
        var devices = await DevicesAsync(4);
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2",
            settings: "branches:\n  production:\n    rollout:\n      waves: [1, 2, 100%]\n      soak: 10m\n      offlineTimeout: 1h\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        (await ConvergeOfferedAsync(devices)).Count.ShouldBe(1);

        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Soaking);
        status.Rollout.Message.ShouldContain("soaking until");
        fleet.Time.Advance(TimeSpan.FromMinutes(9));
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Soaking);
        (await ConvergeOfferedAsync(devices)).ShouldBeEmpty();

        fleet.Time.Advance(TimeSpan.FromMinutes(2));
        await fleet.RunAsync();
        // Wave 2's device asks, is offered its update, and then goes silent.
        FleetDevice? silent = null;
        foreach (var device in devices)
        {
            using var next = await device.Simulated.NextAsync("image-1");
            if (next.StatusCode == HttpStatusCode.OK)
            {
                silent = device;
            }
        }

        silent.ShouldNotBeNull("wave 2 started after the soak");
        var others = devices.Where(d => d != silent).ToList();
        fleet.Time.Advance(TimeSpan.FromMinutes(30));
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Wave.ShouldBe(2, "the silent device still blocks its wave");

        fleet.Time.Advance(TimeSpan.FromMinutes(31));
        foreach (var device in others)
        {
            (await device.CheckInAsync()).ShouldBeNull();
        }

        await fleet.RunAsync();
        status = await fleet.StatusAsync("production");
        status.Devices.Offline.ShouldBe(1);
        status.Issues.ShouldContain(i => i.Device == silent.Id && i.State == "offline");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Soaking, "wave 2 is done once its device is offline");
        fleet.Time.Advance(TimeSpan.FromMinutes(11));
        await fleet.RunAsync();
        (await ConvergeOfferedAsync(others)).Count.ShouldBe(2, "wave 3");
    }

    [Fact]
    public async Task Abort_stops_the_rollout_and_its_unfinished_deployments()
    {
        var devices = await DevicesAsync(2);
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");

        using (var noRollout = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/canary/rollout/pause", null))
        {
            noRollout.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        }

        using (var unknown = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/nope/rollout/pause", null))
        {
            unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var abort = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/production/rollout/abort", null))
        {
            abort.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await abort.Content.ReadFromJsonAsync(ReconcileJson.Context.BranchStatus))!.Rollout!.Phase.ShouldBe(RolloutPhase.Aborted);
        }

        foreach (var device in devices)
        {
            (await device.CheckInAsync()).ShouldBeNull("its deployments were aborted");
        }

        await fleet.RunAsync();
        (await ConvergeOfferedAsync(devices)).ShouldBeEmpty("an aborted rollout schedules nothing");
        using var resume = await fleet.Admin.PostAsync("/api/management/v1/gitfleet/branches/production/rollout/resume", null);
        resume.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Decisions_before_any_target_keep_no_state_that_stops_the_first_target_reaching_every_device()
    {
        // With no target the engine reads and keeps no observed state; the first decision with one reads every device.
        var devices = await DevicesAsync(3);
        foreach (var device in devices)
        {
            (await device.CheckInAsync()).ShouldBeNull("nothing to do before a target");
        }

        await fleet.RunAsync();
        await fleet.RunAsync();
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        for (var i = 0; i < 10 && (await fleet.StatusAsync("production")).Rollout!.Phase != RolloutPhase.Completed; i++)
        {
            await ConvergeOfferedAsync(devices);
            await fleet.RunAsync();
        }

        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
        status.Devices.Converged.ShouldBe(3);
    }

    private async Task<List<FleetDevice>> DevicesAsync(int count)
    {
        var devices = new List<FleetDevice>();
        for (var i = 0; i < count; i++)
        {
            devices.Add(await fleet.DeviceAsync());
        }

        return devices;
    }

    /// <summary>Every device checks in once; those offered something install all of it. Returns those.</summary>
    private static async Task<List<FleetDevice>> ConvergeOfferedAsync(IEnumerable<FleetDevice> devices)
    {
        var offered = new List<FleetDevice>();
        foreach (var device in devices)
        {
            if (await device.CheckInAsync() is not null)
            {
                offered.Add(device);
                await device.ConvergeAsync();
            }
        }

        return offered;
    }
}
