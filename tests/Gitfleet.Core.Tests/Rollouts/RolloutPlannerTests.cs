using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Rollout decisions with an explicit clock: waves, soak, thresholds, retries, offline devices, dependsOn.</summary>
public sealed class RolloutPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RolloutPolicy Waves = new()
    {
        Waves = [Quantity.Percent(10), Quantity.Percent(50), Quantity.Percent(100)],
        Soak = TimeSpan.FromMinutes(30),
        FailureThreshold = Quantity.Count(3),
        Retries = 1,
        OfflineTimeout = TimeSpan.FromHours(1),
    };

    private static List<RolloutDevice> Devices(int count, DateTimeOffset? checkIn = null) =>
        Enumerable.Range(0, count).Select(i => new RolloutDevice { Key = $"d{i:D3}", LastCheckIn = checkIn ?? T0 }).ToList();

    private static RolloutDecision Decide(RolloutPolicy policy, List<RolloutDevice> devices, RolloutProgress progress, DateTimeOffset now, Dictionary<string, IReadOnlyList<string>>? dependsOn = null) =>
        RolloutPlanner.Decide(new RolloutInput
        {
            Policy = policy,
            Devices = devices,
            Progress = progress,
            Now = now,
            Seed = "commit-a",
            DependsOn = dependsOn ?? [],
        });

    /// <summary>The engine's side: mark scheduled devices, then let them finish.</summary>
    private static void Apply(List<RolloutDevice> devices, IEnumerable<string> keys, RolloutDeviceState outcome)
    {
        foreach (var key in keys.ToList())
        {
            var i = devices.FindIndex(d => d.Key == key);
            devices[i] = devices[i] with { State = outcome, Attempts = devices[i].Attempts + (outcome == RolloutDeviceState.Scheduled ? 1 : 0) };
        }
    }

    [Fact]
    public void Waves_grow_after_each_soak()
    {
        var devices = Devices(100);
        var first = Decide(Waves, devices, RolloutProgress.Start, T0);
        first.Phase.ShouldBe(RolloutPhase.Progressing);
        first.Schedule.Count.ShouldBe(10);
        first.WaveSize.ShouldBe(10);

        Apply(devices, first.Schedule, RolloutDeviceState.Scheduled);
        Decide(Waves, devices, first.Progress, T0.AddMinutes(1)).Schedule.ShouldBeEmpty("the wave is still in progress");

        Apply(devices, first.Schedule, RolloutDeviceState.Succeeded);
        var soaking = Decide(Waves, devices, first.Progress, T0.AddMinutes(5));
        soaking.Phase.ShouldBe(RolloutPhase.Soaking);
        soaking.WakeAt.ShouldBe(T0.AddMinutes(35));
        soaking.Schedule.ShouldBeEmpty();

        var second = Decide(Waves, devices, soaking.Progress, T0.AddMinutes(36));
        second.Progress.Wave.ShouldBe(1);
        second.Schedule.Count.ShouldBe(40);
        second.Schedule.ShouldNotContain(first.Schedule[0]);
    }

    [Fact]
    public void Wave_order_is_stable_for_a_commit_and_differs_between_commits()
    {
        var devices = Devices(200);
        var a = Decide(Waves, devices, RolloutProgress.Start, T0).Schedule;
        Decide(Waves, Enumerable.Reverse(devices).ToList(), RolloutProgress.Start, T0).Schedule.ShouldBe(a);
        var b = RolloutPlanner.Decide(new RolloutInput { Policy = Waves, Devices = devices, Progress = RolloutProgress.Start, Now = T0, Seed = "commit-b" }).Schedule;
        b.ShouldNotBe(a);
    }

    [Fact]
    public void Failure_threshold_pauses_and_resume_acknowledges_the_failures()
    {
        var policy = Waves with { Waves = [Quantity.Percent(100)], Retries = 0 };
        var devices = Devices(20);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Apply(devices, first.Schedule.Take(5), RolloutDeviceState.Scheduled);
        Apply(devices, first.Schedule.Take(3), RolloutDeviceState.Failed);
        var paused = Decide(policy, devices, first.Progress, T0.AddMinutes(1));
        paused.Phase.ShouldBe(RolloutPhase.Paused);
        paused.Schedule.ShouldBeEmpty();
        paused.Message.ShouldContain("3 of 20 devices failed (threshold 3)");

        var resumed = paused.Progress with { Paused = false, PauseReason = null, AcknowledgedFailures = 3 };
        var next = Decide(policy, devices, resumed, T0.AddMinutes(2));
        next.Phase.ShouldBe(RolloutPhase.Progressing);
        next.Schedule.Count.ShouldBe(15);
    }

    [Fact]
    public void Percentage_threshold_counts_against_all_devices()
    {
        var policy = Waves with { Waves = [Quantity.Percent(100)], Retries = 0, FailureThreshold = Quantity.Percent(10) };
        var devices = Devices(50);
        Apply(devices, devices.Take(4).Select(d => d.Key), RolloutDeviceState.Scheduled);
        Apply(devices, devices.Take(4).Select(d => d.Key), RolloutDeviceState.Failed);
        Decide(policy, devices, RolloutProgress.Start, T0).Phase.ShouldBe(RolloutPhase.Progressing, "4 < 5 (10% of 50)");
        Apply(devices, devices.Skip(4).Take(1).Select(d => d.Key), RolloutDeviceState.Scheduled);
        Apply(devices, devices.Skip(4).Take(1).Select(d => d.Key), RolloutDeviceState.Failed);
        Decide(policy, devices, RolloutProgress.Start, T0).Phase.ShouldBe(RolloutPhase.Paused);
    }

    [Fact]
    public void Failed_devices_are_retried_then_count_as_failures()
    {
        var policy = Waves with { Waves = [Quantity.Percent(100)], Retries = 2, FailureThreshold = null };
        var devices = Devices(1);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var decision = Decide(policy, devices, RolloutProgress.Start, T0);
            decision.Schedule.ShouldBe(["d000"], $"attempt {attempt}");
            Apply(devices, decision.Schedule, RolloutDeviceState.Scheduled);
            Apply(devices, decision.Schedule, RolloutDeviceState.Failed);
        }

        var done = Decide(policy, devices, RolloutProgress.Start, T0);
        done.Phase.ShouldBe(RolloutPhase.Completed);
        done.Counts.Failed.ShouldBe(1);
        done.Message.ShouldContain("0 of 1 devices succeeded, 1 failed");
    }

    [Fact]
    public void Max_concurrent_limits_devices_in_progress_but_offline_ones_hold_no_slot()
    {
        var policy = Waves with { Waves = [Quantity.Percent(100)], MaxConcurrent = 5 };
        var devices = Devices(20);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        first.Schedule.Count.ShouldBe(5);
        Apply(devices, first.Schedule, RolloutDeviceState.Scheduled);
        Decide(policy, devices, first.Progress, T0.AddMinutes(1)).Schedule.ShouldBeEmpty();

        // Two of the scheduled devices went offline two hours ago: they no longer hold slots.
        for (var i = 0; i < devices.Count; i++)
        {
            if (first.Schedule.Take(2).Contains(devices[i].Key))
            {
                devices[i] = devices[i] with { LastCheckIn = T0.AddHours(-2) };
            }
        }

        Decide(policy, devices, first.Progress, T0.AddMinutes(2)).Schedule.Count.ShouldBe(2);
    }

    [Fact]
    public void Offline_devices_do_not_block_a_wave_forever()
    {
        var devices = Devices(10);
        var policy = Waves with { Waves = [Quantity.Percent(50), Quantity.Percent(100)], Soak = TimeSpan.Zero };
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Apply(devices, first.Schedule, RolloutDeviceState.Scheduled);
        Apply(devices, first.Schedule.Skip(1), RolloutDeviceState.Succeeded);
        Decide(policy, devices, first.Progress, T0.AddMinutes(30)).Progress.Wave.ShouldBe(0, "the last device is not offline yet");

        var later = Decide(policy, devices, first.Progress, T0.AddMinutes(61));
        later.Progress.Wave.ShouldBe(1);
        later.Schedule.Count.ShouldBe(5);
        later.Counts.Offline.ShouldBe(6, "unfinished devices that have not checked in since T0");
    }

    [Fact]
    public void Dependents_wait_for_the_groups_they_depend_on()
    {
        var devices = new List<RolloutDevice>
        {
            new() { Key = "gw", Groups = ["gateways"], LastCheckIn = T0 },
            new() { Key = "k1", Groups = ["kiosks"], LastCheckIn = T0 },
            new() { Key = "k2", Groups = ["kiosks"], LastCheckIn = T0 },
        };
        var policy = Waves with { Waves = [Quantity.Percent(100)] };
        var dependsOn = new Dictionary<string, IReadOnlyList<string>> { ["kiosks"] = ["gateways"] };
        var first = Decide(policy, devices, RolloutProgress.Start, T0, dependsOn);
        first.Schedule.ShouldBe(["gw"]);
        first.Message.ShouldContain("2 waiting for the groups they depend on");

        Apply(devices, ["gw"], RolloutDeviceState.Scheduled);
        Decide(policy, devices, first.Progress, T0, dependsOn).Schedule.ShouldBeEmpty();
        Apply(devices, ["gw"], RolloutDeviceState.Succeeded);
        Decide(policy, devices, first.Progress, T0, dependsOn).Schedule.ShouldBe(["k1", "k2"], ignoreOrder: true);
    }

    [Fact]
    public void Aborted_rollout_schedules_nothing()
    {
        var decision = Decide(Waves, Devices(10), RolloutProgress.Start with { Aborted = true }, T0);
        decision.Phase.ShouldBe(RolloutPhase.Aborted);
        decision.Schedule.ShouldBeEmpty();
    }

    [Fact]
    public void Completed_when_every_device_succeeded()
    {
        var devices = Devices(3);
        Apply(devices, devices.Select(d => d.Key), RolloutDeviceState.Succeeded);
        var decision = Decide(Waves, devices, RolloutProgress.Start, T0);
        decision.Phase.ShouldBe(RolloutPhase.Completed);
        decision.Progress.CompletedAt.ShouldBe(T0);
        decision.Progress.Wave.ShouldBe(2);
    }

    [Fact]
    public void Small_fleets_still_get_a_first_wave_of_one()
    {
        RolloutPlanner.WaveSize(Waves, 0, 3).ShouldBe(1);
        RolloutPlanner.WaveSize(Waves, 1, 3).ShouldBe(2);
        RolloutPlanner.WaveSize(Waves, 2, 3).ShouldBe(3);
    }
}
