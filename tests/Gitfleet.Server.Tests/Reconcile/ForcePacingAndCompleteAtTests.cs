using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>
/// gitfleet.yml's <c>images.NAME.force</c>, <c>pacing</c> and <c>completeAt</c> through the real server and simulated devices, with a
/// manual clock. The fleets here carry no configuration, so the only deployments are OS images and a device's
/// artifact name stays its image's (what the server's already-installed answer compares).
/// </summary>
public sealed class ForcePacingAndCompleteAtTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync();

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task A_forced_image_is_installed_again_on_devices_that_run_it_once_per_rollout()
    {
        var device = await fleet.DeviceAsync();
        var other = await fleet.DeviceAsync(image: "image-0");
        await fleet.UploadImageAsync("image-1");
        await CommitAsync([device, other], "image-1", settings: null, "image-1 for production");
        (await device.CheckInAsync()).ShouldBeNull("it runs image-1 already: nothing to do without force");
        await other.ConvergeAsync();
        other.Image.ShouldBe("image-1");
        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed);

        await CommitAsync([device, other], "image-1", "images:\n  image-1:\n    force: true\n", "force image-1");
        var status = await fleet.StatusAsync("production");
        status.Rollout!.Phase.ShouldBe(RolloutPhase.Progressing, "both devices run image-1 and are enrolled to get it again");
        device.ArtifactName.ShouldBe("image-1");
        var forced = await device.CheckInAsync();
        forced.ShouldNotBeNull("force skips the already-installed answer for the artifact the device reports");
        device.Reports.ShouldContain("success");
        (await other.ConvergeAsync()).Count.ShouldBe(1);

        await fleet.RunAsync();
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
        (await device.CheckInAsync()).ShouldBeNull("once per rollout");
        fleet.Time.Advance(TimeSpan.FromHours(1));
        await fleet.ReconcileAsync("production");
        (await device.CheckInAsync()).ShouldBeNull("the same commit is not a new rollout");
    }

    [Fact]
    public async Task Pacing_starts_at_most_its_rate_per_minute_and_the_rest_wait_for_it()
    {
        var devices = new[] { await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        await fleet.UploadImageAsync("image-2");
        await CommitAsync(devices, "image-2", "branches:\n  production:\n    rollout:\n      pacing: {perMinute: 1}\n", "image-2, one device a minute");

        (await OffersAsync(devices)).ShouldBe(1, "one start in the first minute");
        var status = await fleet.StatusAsync("production");
        var waiting = status.Rollout!.Waiting.ShouldHaveSingleItem();
        (waiting.Reason, waiting.Devices).ShouldBe((WaitReason.Pacing, 2));

        fleet.Time.Advance(TimeSpan.FromSeconds(30));
        await fleet.RunAsync();
        (await OffersAsync(devices)).ShouldBe(0, "half a minute later the rate is still used up");

        fleet.Time.Advance(TimeSpan.FromSeconds(31));
        await fleet.RunAsync();
        (await OffersAsync(devices)).ShouldBe(1, "a minute after the first start, the second");

        fleet.Time.Advance(TimeSpan.FromMinutes(1));
        await fleet.RunAsync();
        (await OffersAsync(devices)).ShouldBe(1);
        await fleet.RunAsync();
        devices.Select(d => d.Image).ShouldAllBe(image => image == "image-2");
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Completed);
    }

    [Fact]
    public async Task A_wave_completes_at_its_share_and_a_hanging_device_is_followed_as_a_straggler()
    {
        var devices = new[] { await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        FleetDevice? hanging = null;
        foreach (var device in devices)
        {
            // The first device that installs image-2 hangs in its install (and again when the deployment is offered again).
            device.Hangs = name => name == "image-2" && (hanging ??= device) == device;
        }

        await fleet.UploadImageAsync("image-2");
        await CommitAsync(devices, "image-2", "branches:\n  production:\n    rollout:\n      waves: [2, 100%]\n      soak: 0s\n      completeAt: 50%\n", "image-2 in two waves");
        (await OffersAsync(devices)).ShouldBe(2, "the first wave");
        hanging.ShouldNotBeNull();
        await fleet.RunAsync();

        var status = await fleet.StatusAsync("production");
        status.Rollout!.Wave.ShouldBe(2, "one of two done is the wave's 50%: the next wave starts");
        status.Rollout.Stragglers.ShouldBe(1);
        (await OffersAsync(devices.Where(d => d != hanging))).ShouldBe(2, "the second wave, while the straggler still installs");
        await fleet.RunAsync();

        status = await fleet.StatusAsync("production");
        status.Rollout!.BulkCompletedAt.ShouldBe(fleet.Time.GetUtcNow(), "the last wave reached completeAt");
        status.Rollout.Stragglers.ShouldBe(1);
        status.Rollout.Phase.ShouldNotBe(RolloutPhase.Completed, "the straggler is still followed");
        devices.Count(d => d.Image == "image-2").ShouldBe(3);
    }

    /// <summary>Each device checks in once; how many were offered a deployment (and installed it).</summary>
    private static async Task<int> OffersAsync(IEnumerable<FleetDevice> devices)
    {
        var offered = 0;
        foreach (var device in devices)
        {
            offered += await device.CheckInAsync() is null ? 0 : 1;
        }

        return offered;
    }

    /// <summary>The devices on production with one image and no configuration; committed, reconciled.</summary>
    private async Task CommitAsync(IEnumerable<FleetDevice> devices, string image, string? settings, string message)
    {
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, image, settings: settings);
        fleet.Repository.Write("group_vars/all.yml", $"os_image:\n  - device_type: raspberrypi4\n    image_name: {image}\n");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit(message));
        await fleet.ReconcileAsync("production");
    }
}
