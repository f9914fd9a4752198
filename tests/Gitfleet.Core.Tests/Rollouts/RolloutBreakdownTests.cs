using Gitfleet.Core.Rollouts;
using static Gitfleet.Core.Tests.Rollouts.Steps.RolloutWorkFixture;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>A rollout's devices per wave and its failures grouped by reason, from one decision's rows, without a server.</summary>
public sealed class RolloutBreakdownTests
{
    [Fact]
    public void Counts_each_state_in_its_wave_and_groups_failures_by_reason_most_first()
    {
        var target = Target(Wants("w"), Wants("s"), Wants("ok"), Wants("f1"), Wants("f2"), Wants("f3"), Wants("ab"));
        var rows = new[]
        {
            Row("w", RolloutDeviceState.Waiting),
            Row("s", RolloutDeviceState.Scheduled),
            Row("ok", RolloutDeviceState.Succeeded),
            Row("f1", RolloutDeviceState.Failed, error: "OS image img-2 failed: no space left on device"),
            Row("f2", RolloutDeviceState.Failed, error: "OS image img-2 failed: no space left on device"),
            Row("f3", RolloutDeviceState.Failed, error: "OS image img-2 failed: download timed out"),
            Row("ab", RolloutDeviceState.Aborted),
        }.ToDictionary(r => r.DeviceId, StringComparer.Ordinal);

        var breakdown = RolloutBreakdown.Of(target, rows);

        var wave = breakdown.Waves.ShouldHaveSingleItem("a policy without waves rolls out in one");
        (wave.Number, wave.Devices, wave.Waiting, wave.InProgress, wave.Succeeded, wave.Failed, wave.Aborted).ShouldBe((1, 7, 1, 1, 1, 3, 1));
        wave.Done.ShouldBeFalse();
        wave.LastChange.ShouldBe(Now.AddMinutes(-10));
        breakdown.Failures.Select(g => (g.Reason, g.Count)).ShouldBe([("OS image img-2 failed: no space left on device", 2), ("OS image img-2 failed: download timed out", 1)]);
        breakdown.Failures[0].Devices.ShouldBe(["f1", "f2"]);
        breakdown.FailuresByClass.Keys.ShouldBe(FailureClass.All, ignoreOrder: true);
        breakdown.FailuresByClass.Values.Sum().ShouldBe(3);
        breakdown.FailuresByClass[FailureClass.Of("OS image img-2 failed: no space left on device")].ShouldBeGreaterThanOrEqualTo(2);
        breakdown.WaveOf("f3").ShouldBe(1);
        breakdown.WaveOf("not-in-the-rollout").ShouldBe(0);
        RolloutBreakdown.Of(target, rows).ShouldBeSameAs(breakdown, "computed once per decision's rows");
    }
}
