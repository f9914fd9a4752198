using System.Text.Json;
using Gitfleet.Core.Delivery;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Delivery;

/// <summary>A running rollout's bytes over the air per wave, as the plan groups them, with what moved and what is still to move.</summary>
public sealed class RolloutTransferTests
{
    private const long Full = TransferEstimatorTests.Full;
    internal const long Delta = 9_000_000;

    internal static RolloutTransferDevice Device(string key, int wave, DownloadProgress progress, bool appliesDeltas = true) =>
        new(new TransferDevice(key, "pi4", "img-1", "img-2", appliesDeltas), wave, progress);

    internal static TransferEstimate Estimate(params RolloutTransferDevice[] devices) =>
        RolloutTransfer.Estimate(devices, new TransferCosts(TransferEstimatorTests.Catalog));

    [Fact]
    public void Each_group_counts_the_devices_that_moved_and_those_still_to_move()
    {
        var estimate = Estimate(
            Device("d1", 0, DownloadProgress.Moved),
            Device("d2", 0, DownloadProgress.ToMove),
            Device("d3", 0, DownloadProgress.Moved, appliesDeltas: false),
            Device("d4", 1, DownloadProgress.Stopped),
            Device("d5", 1, DownloadProgress.ToMove, appliesDeltas: false));

        estimate.Waves.Select(w => w.Wave).ShouldBe([1, 2]);
        var first = estimate.Waves[0];
        first.Devices.ShouldBe(3);
        first.Bytes.ShouldBe((2 * Delta) + Full);
        first.MovedBytes.ShouldBe(Delta + Full);
        first.ToMoveBytes.ShouldBe(Delta);
        var delta = first.Groups.Single(g => g.Method == TransferMethod.Delta);
        (delta.Devices, delta.Moved, delta.ToMove, delta.From).ShouldBe((2, 1, 1, "img-1"));
        first.Groups.Single(g => g.Method == TransferMethod.Full).Note.ShouldBe("the device does not apply deltas");

        var second = estimate.Waves[1];
        second.Bytes.ShouldBe(Delta + Full, "a stopped device stays in the wave's bytes");
        second.MovedBytes.ShouldBe(0);
        second.ToMoveBytes.ShouldBe(Full, "but in neither moved nor to move");
        estimate.MovedBytes.ShouldBe(Delta + Full);
        estimate.ToMoveBytes.ShouldBe(Delta + Full);
        estimate.TotalBytes.ShouldBe((3 * Delta) + (2 * Full));
        estimate.FullImageBytes.ShouldBe(5 * Full);
    }

    [Theory]
    [InlineData(RolloutDeviceState.Waiting, UpdatePhase.Pending, true, DownloadProgress.ToMove)]
    [InlineData(RolloutDeviceState.Scheduled, UpdatePhase.Pending, true, DownloadProgress.ToMove)]
    [InlineData(RolloutDeviceState.Scheduled, UpdatePhase.Downloading, true, DownloadProgress.ToMove)]
    [InlineData(RolloutDeviceState.Scheduled, UpdatePhase.Installing, true, DownloadProgress.Moved)]
    [InlineData(RolloutDeviceState.Scheduled, UpdatePhase.Rebooting, true, DownloadProgress.Moved)]
    [InlineData(RolloutDeviceState.Scheduled, UpdatePhase.Paused, true, DownloadProgress.Moved)]
    [InlineData(RolloutDeviceState.Succeeded, UpdatePhase.Pending, true, DownloadProgress.Moved)]
    [InlineData(RolloutDeviceState.Failed, UpdatePhase.Pending, true, DownloadProgress.ToMove)]
    [InlineData(RolloutDeviceState.Failed, UpdatePhase.Pending, false, DownloadProgress.Stopped)]
    [InlineData(RolloutDeviceState.Aborted, UpdatePhase.Pending, true, DownloadProgress.Stopped)]
    public void A_device_has_moved_its_bytes_once_it_is_past_downloading(RolloutDeviceState state, UpdatePhase phase, bool retryLeft, DownloadProgress expected) =>
        RolloutTransfer.ProgressOf(state, phase, retryLeft).ShouldBe(expected);

    [Fact]
    public void A_plan_has_no_progress_and_its_json_says_nothing_of_it()
    {
        var plan = TransferEstimator.Estimate(["d1"], [new TransferDevice("d1", "pi4", "img-1", "img-2", true)], RolloutPolicy.AllAtOnce, "c", TransferEstimatorTests.Catalog);

        plan.MovedBytes.ShouldBeNull();
        plan.Waves.Single().ToMoveBytes.ShouldBeNull();
        plan.Waves.Single().Groups.Single().Moved.ShouldBeNull();
        var json = JsonSerializer.Serialize(plan, DeliveryJson.Default.TransferEstimate);
        json.ShouldNotContain("moved");
        json.ShouldContain("\"bytes_each\":9000000");
    }
}
