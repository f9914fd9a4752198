using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>
/// gitfleet.yml's byteBudget through the real server and simulated devices, with a manual clock: devices are
/// admitted into downloading only as the budget allows, the rest wait with the reason "budget", and the budget
/// lets them go as it refills (the hour ages, devices of the wave finish).
/// </summary>
public sealed class ByteBudgetRolloutTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task The_hourly_budget_holds_devices_back_and_lets_them_go_as_the_hour_ages()
    {
        var devices = new[] { await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        var size = await RolloutImageAsync(devices, budget => $"perHour: {(2 * budget) + (budget / 2)}");
        var start = fleet.Time.GetUtcNow();

        var offered = await OfferedAsync(devices);
        offered.Count.ShouldBe(2, "two full images fit in two and a half");
        var held = devices.Except(offered).Single();
        var waiting = (await fleet.StatusAsync("production")).Rollout!.Waiting.ShouldHaveSingleItem();
        (waiting.Reason, waiting.Devices, waiting.Until).ShouldBe((WaitReason.Budget, 1, start + TimeSpan.FromHours(1)));
        waiting.Message.ShouldContain($"the hourly byte budget ({Core.Delivery.ByteSize.Format((2 * size) + (size / 2))}) is used");

        foreach (var device in offered)
        {
            await device.ConvergeAsync();
        }

        await fleet.RunAsync();
        (await held.CheckInAsync()).ShouldBeNull("finished downloads still count for the hour after they started");

        fleet.Time.Advance(TimeSpan.FromMinutes(59));
        await fleet.RunAsync();
        (await held.CheckInAsync()).ShouldBeNull("the first admissions have not aged out yet");

        fleet.Time.Advance(TimeSpan.FromMinutes(1));
        await fleet.RunAsync();
        await held.ConvergeAsync();
        held.Image.ShouldBe("image-2", "an hour after the first starts the budget has room again");
        await fleet.RunAsync();
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
        status.Rollout.Waiting.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_wave_budget_refills_as_devices_finish()
    {
        var devices = new[] { await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        await RolloutImageAsync(devices, budget => $"perWave: {budget + (budget / 2)}");

        for (var round = 0; round < devices.Length; round++)
        {
            var offered = (await OfferedAsync(devices.Where(d => d.Image != "image-2"))).ShouldHaveSingleItem("one full image at a time fits");
            var status = await fleet.StatusAsync("production");
            if (round < devices.Length - 1)
            {
                var waiting = status.Rollout!.Waiting.ShouldHaveSingleItem();
                (waiting.Reason, waiting.Devices, waiting.Until).ShouldBe((WaitReason.Budget, devices.Length - 1 - round, null));
            }

            await offered.ConvergeAsync();
            offered.Image.ShouldBe("image-2");
            await fleet.RunAsync();
        }

        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
    }

    /// <summary>Uploads image-2, rolls it out to the devices on production with the budget, returns the artifact's size.</summary>
    private async Task<long> RolloutImageAsync(FleetDevice[] devices, Func<long, string> budget)
    {
        await fleet.UploadImageAsync("image-2");
        var artifacts = await fleet.Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts");
        var size = artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "image-2").GetProperty("size").GetInt64();
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-2",
            settings: $"branches:\n  production:\n    rollout:\n      byteBudget:\n        {budget(size)}\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("image-2 for production"));
        await fleet.ReconcileAsync("production");
        return size;
    }

    /// <summary>The devices that are offered a deployment when they check in now.</summary>
    private static async Task<List<FleetDevice>> OfferedAsync(IEnumerable<FleetDevice> devices)
    {
        var offered = new List<FleetDevice>();
        foreach (var device in devices)
        {
            if (await device.CheckInAsync() is not null)
            {
                offered.Add(device);
            }
        }

        return offered;
    }
}
