using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>
/// The planner with the rules for real fleets, with an explicit clock: windows hold scheduled devices before
/// installing, pacing and its ramp, phase timeouts, completeAt with stragglers, abort rules with each action,
/// the declared pause, wait reasons, and the forecast of the next wave and the end.
/// </summary>
public sealed class RolloutPolicyPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly RolloutPolicy OneWave = new() { Waves = [Quantity.Percent(100)], OfflineTimeout = TimeSpan.FromHours(1) };

    private static readonly MaintenanceCalendar Nights = MaintenanceCalendar.For(
        [new MaintenanceWindow { Name = "nights", Schedule = new WeeklyWindowSchedule(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(22, 0), new TimeOnly(4, 0)) }], []);

    private static List<RolloutDevice> Devices(int count, string? windows = null) =>
        Enumerable.Range(0, count).Select(i => new RolloutDevice { Key = $"d{i:D3}", LastCheckIn = T0, Windows = windows }).ToList();

    private static RolloutDecision Decide(RolloutPolicy policy, List<RolloutDevice> devices, RolloutProgress progress, DateTimeOffset now, bool declaredPause = false, TimeSpan? assumed = null) =>
        RolloutPlanner.Decide(new RolloutInput
        {
            Policy = policy,
            Devices = devices,
            Progress = progress,
            Now = now,
            Seed = "commit-a",
            Calendars = new Dictionary<string, MaintenanceCalendar> { ["nights"] = Nights },
            DeclaredPause = declaredPause,
            AssumedDeviceTime = assumed,
        });

    /// <summary>The engine's side: update the devices the way the engine and the devices' reports would.</summary>
    private static void Set(List<RolloutDevice> devices, IEnumerable<string> keys, Func<RolloutDevice, RolloutDevice> change)
    {
        foreach (var key in keys.ToList())
        {
            var i = devices.FindIndex(d => d.Key == key);
            devices[i] = change(devices[i]);
        }
    }

    private static Func<RolloutDevice, RolloutDevice> Started(DateTimeOffset at) =>
        d => d with { State = RolloutDeviceState.Scheduled, Attempts = d.Attempts + 1, StartedAt = at, Phase = UpdatePhase.Pending, PhaseSince = at };

    private static Func<RolloutDevice, RolloutDevice> Finished(RolloutDeviceState state, DateTimeOffset at, FailureKind? failure = null) =>
        d => d with { State = state, ChangedAt = at, Failure = failure };

    [Fact]
    public void A_closed_window_still_schedules_the_download_and_holds_the_install_until_it_opens()
    {
        var devices = Devices(4, "nights");
        var decision = Decide(OneWave, devices, RolloutProgress.Start, T0);
        decision.Schedule.Count.ShouldBe(4, "pre-staged: downloads start at once");
        decision.Held.ShouldBe(4);
        decision.Waits.Values.ShouldAllBe(w => w == new DeviceWait(WaitReason.Window, T0.AddHours(10), "nights"));
        decision.WakeAt.ShouldBe(T0.AddHours(10), "the status changes when the window opens");
        decision.Message.ShouldContain("4 downloaded or downloading and waiting for their maintenance window");

        Set(devices, decision.Schedule, Started(T0));
        Set(devices, ["d000"], d => d with { Phase = UpdatePhase.Paused, PhaseSince = T0.AddMinutes(5) });
        var night = Decide(OneWave, devices, decision.Progress, T0.AddHours(10).AddMinutes(1));
        night.Held.ShouldBe(0, "the window is open: the server releases them");
        night.Waits.ShouldBeEmpty();
        night.WakeAt.ShouldBe(T0.AddHours(16), "and the window closes at 04:00");

        Set(devices, ["d001"], d => d with { Phase = UpdatePhase.Installing });
        var morning = Decide(OneWave, devices, decision.Progress, T0.AddHours(17));
        morning.Held.ShouldBe(3, "a device already installing runs to completion; the others are held again");
        morning.Waits.ContainsKey("d001").ShouldBeFalse();
    }

    [Fact]
    public void Devices_without_windows_are_never_held_and_a_pause_holds_everyone_not_installing()
    {
        var devices = Devices(3);
        var decision = Decide(OneWave, devices, RolloutProgress.Start, T0);
        decision.Held.ShouldBe(0);
        Set(devices, decision.Schedule, Started(T0));
        Set(devices, ["d002"], d => d with { Phase = UpdatePhase.Rebooting });

        var paused = Decide(OneWave, devices, RolloutProgress.Start with { Paused = true, PauseReason = "paused by an operator" }, T0);
        paused.Phase.ShouldBe(RolloutPhase.Paused);
        paused.Held.ShouldBe(2);
        paused.Waits["d000"].ShouldBe(new DeviceWait(WaitReason.Paused, null, "paused by an operator"));
        paused.Waits.ContainsKey("d002").ShouldBeFalse();
    }

    [Fact]
    public void Paused_in_gitfleet_yml_pauses_without_touching_the_progress()
    {
        var devices = Devices(5);
        var decision = Decide(OneWave, devices, RolloutProgress.Start, T0, declaredPause: true);
        decision.Phase.ShouldBe(RolloutPhase.Paused);
        decision.Schedule.ShouldBeEmpty();
        decision.Message.ShouldBe("paused: paused: true in gitfleet.yml; set paused: false (or remove it) to continue");
        decision.Progress.Paused.ShouldBeFalse("merging paused: false resumes");
        decision.Waits.Count.ShouldBe(5);
        Decide(OneWave, devices, decision.Progress, T0).Schedule.Count.ShouldBe(5);
    }

    [Fact]
    public void Pacing_starts_at_most_the_rate_per_minute_and_wakes_when_the_next_start_is_allowed()
    {
        var policy = OneWave with { Pacing = new PacingPolicy(3) };
        var devices = Devices(10);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        first.Schedule.Count.ShouldBe(3);
        first.WakeAt.ShouldBe(T0.AddMinutes(1));
        first.Waits.Values.Count(w => w.Reason == WaitReason.Pacing).ShouldBe(7);
        first.Waits.Values.First(w => w.Reason == WaitReason.Pacing).Describe().ShouldBe($"pacing until {T0.AddMinutes(1):u}");

        Set(devices, first.Schedule, Started(T0));
        Decide(policy, devices, first.Progress, T0.AddSeconds(59)).Schedule.ShouldBeEmpty();
        var second = Decide(policy, devices, first.Progress, T0.AddSeconds(60));
        second.Schedule.Count.ShouldBe(3);
        second.Schedule.ShouldNotContain(first.Schedule[0]);
    }

    [Fact]
    public void The_pacing_ramp_follows_the_successes()
    {
        var policy = OneWave with { Pacing = new PacingPolicy(2) { Ramp = new PacingRamp(3, 2) { MaxPerMinute = 10 } } };
        var devices = Devices(30);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        first.Schedule.Count.ShouldBe(2);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, first.Schedule, Finished(RolloutDeviceState.Succeeded, T0.AddSeconds(30)));
        var ramped = Decide(policy, devices, first.Progress, T0.AddMinutes(1));
        ramped.Schedule.Count.ShouldBe(6, "two successes: 2 x 3");
        Set(devices, ramped.Schedule, Started(T0.AddMinutes(1)));
        Set(devices, ramped.Schedule, Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(1.5)));
        Decide(policy, devices, ramped.Progress, T0.AddMinutes(2)).Schedule.Count.ShouldBe(10, "eight successes: 2 x 81, capped at 10");
    }

    [Fact]
    public void A_device_past_its_phase_timeout_fails_timed_out_and_is_retried()
    {
        var policy = OneWave with { Retries = 1, Timeouts = new PhaseTimeouts { Installing = TimeSpan.FromMinutes(30), Downloading = TimeSpan.FromHours(2) } };
        var devices = Devices(2);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, ["d000"], d => d with { Phase = UpdatePhase.Installing, PhaseSince = T0.AddMinutes(1) });
        Set(devices, ["d001"], d => d with { Phase = UpdatePhase.Downloading, PhaseSince = T0.AddMinutes(1) });

        var waiting = Decide(policy, devices, first.Progress, T0.AddMinutes(20));
        waiting.TimedOut.ShouldBeEmpty();
        waiting.WakeAt.ShouldBe(T0.AddMinutes(31), "the installing deadline comes first");

        var hung = Decide(policy, devices, first.Progress, T0.AddMinutes(31));
        hung.TimedOut.ShouldBe([new TimedOutDevice("d000", "timed out: installing for longer than 30m")]);
        hung.Counts.Waiting.ShouldBe(1, "failed with a retry left: it waits for the retry");
        hung.Schedule.ShouldBeEmpty("the engine aborts its deployment first; the retry comes at the next decision");

        Set(devices, ["d000"], d => d with { State = RolloutDeviceState.Failed, Failure = FailureKind.TimedOut, ChangedAt = T0.AddMinutes(31) });
        Decide(policy, devices, hung.Progress, T0.AddMinutes(32)).Schedule.ShouldBe(["d000"]);
    }

    [Fact]
    public void A_wave_completes_at_its_share_and_the_rest_are_followed_as_stragglers()
    {
        var policy = OneWave with { Waves = [Quantity.Percent(50), Quantity.Percent(100)], CompleteAt = Quantity.Percent(90), Soak = TimeSpan.Zero };
        var devices = Devices(20);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        first.Schedule.Count.ShouldBe(10);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, first.Schedule.Take(8), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(5)));
        Decide(policy, devices, first.Progress, T0.AddMinutes(6)).Progress.Wave.ShouldBe(0, "8 of 10 < 90%");

        Set(devices, first.Schedule.Skip(8).Take(1), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(7)));
        var second = Decide(policy, devices, first.Progress, T0.AddMinutes(8));
        second.Progress.Wave.ShouldBe(1, "9 of 10 is 90%: the straggler does not hold the wave");
        second.Schedule.Count.ShouldBe(10);
        second.Stragglers.ShouldBe(1);

        Set(devices, second.Schedule, Started(T0.AddMinutes(8)));
        Set(devices, second.Schedule, Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(12)));
        var bulk = Decide(policy, devices, second.Progress, T0.AddMinutes(13));
        bulk.Phase.ShouldBe(RolloutPhase.Progressing, "the straggler is still followed");
        bulk.Progress.BulkCompletedAt.ShouldBe(T0.AddMinutes(13));
        bulk.Stragglers.ShouldBe(1);
        bulk.Message.ShouldEndWith("; complete at 90%, 1 stragglers followed");

        Set(devices, first.Schedule.Skip(9), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(20)));
        var done = Decide(policy, devices, bulk.Progress, T0.AddMinutes(21));
        done.Phase.ShouldBe(RolloutPhase.Completed);
        done.Progress.BulkCompletedAt.ShouldBe(T0.AddMinutes(13), "the bulk time stays");
    }

    public static TheoryData<AbortAction, RolloutPhase, bool> Actions => new()
    {
        { AbortAction.Pause, RolloutPhase.Paused, false },
        { AbortAction.Abort, RolloutPhase.Aborted, false },
        { AbortAction.Revert, RolloutPhase.Aborted, true },
    };

    [Theory]
    [MemberData(nameof(Actions))]
    public void An_abort_rule_trips_after_its_minimum_and_takes_its_action(AbortAction action, RolloutPhase phase, bool revert)
    {
        var rule = new AbortRule(FailureKind.Failed, Quantity.Percent(20), 5, action);
        var policy = OneWave with { Waves = [Quantity.Percent(50), Quantity.Percent(100)], Abort = [rule] };
        var devices = Devices(20);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, first.Schedule.Take(2), Finished(RolloutDeviceState.Failed, T0.AddMinutes(1), FailureKind.Failed));
        Set(devices, first.Schedule.Skip(2).Take(2), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(1)));
        var early = Decide(policy, devices, first.Progress, T0.AddMinutes(2));
        early.Phase.ShouldBe(RolloutPhase.Progressing, "4 finished: below minFinished 5");
        early.Response.ShouldBeNull();

        Set(devices, first.Schedule.Skip(4).Take(1), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(2)));
        var tripped = Decide(policy, devices, first.Progress, T0.AddMinutes(3));
        tripped.Phase.ShouldBe(phase);
        tripped.Response!.Rule.ShouldBe(rule);
        (tripped.Response.Failures, tripped.Response.Finished).ShouldBe((2, 5));
        tripped.Progress.RevertRequested.ShouldBe(revert);
        tripped.Progress.Aborted.ShouldBe(action != AbortAction.Pause);
        tripped.Schedule.ShouldBeEmpty();
        tripped.Message.ShouldContain("abort rule: 2 of 5 finished devices of the wave failed (threshold 20%, at least 5 finished)");
    }

    [Fact]
    public void Resuming_after_an_abort_rule_paused_acknowledges_the_failures_so_far()
    {
        var policy = OneWave with { Abort = [new AbortRule(null, Quantity.Count(2), 1, AbortAction.Pause)] };
        var devices = Devices(10);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, first.Schedule.Take(2), Finished(RolloutDeviceState.Failed, T0, FailureKind.Rejected));
        var paused = Decide(policy, devices, first.Progress, T0.AddMinutes(1));
        paused.Phase.ShouldBe(RolloutPhase.Paused);

        var resumed = paused.Progress with { Paused = false, PauseReason = null, AcknowledgedWave = 0, AcknowledgedOutcomes = new WaveOutcomes(0, 0, 0, 2) };
        Decide(policy, devices, resumed, T0.AddMinutes(2)).Phase.ShouldBe(RolloutPhase.Progressing);
        Set(devices, first.Schedule.Skip(2).Take(2), Finished(RolloutDeviceState.Failed, T0, FailureKind.TimedOut));
        Decide(policy, devices, resumed, T0.AddMinutes(3)).Phase.ShouldBe(RolloutPhase.Paused, "two new failures");
    }

    [Fact]
    public void Abort_rules_judge_the_devices_the_current_wave_adds()
    {
        var policy = OneWave with { Waves = [Quantity.Percent(50), Quantity.Percent(100)], Abort = [new AbortRule(FailureKind.Failed, Quantity.Count(2), 1, AbortAction.Abort)] };
        var devices = Devices(10);
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        Set(devices, first.Schedule, Started(T0));
        Set(devices, first.Schedule.Take(1), Finished(RolloutDeviceState.Failed, T0, FailureKind.Failed));
        Set(devices, first.Schedule.Skip(1), Finished(RolloutDeviceState.Succeeded, T0));
        var second = Decide(policy with { Retries = 0 }, devices, first.Progress, T0.AddMinutes(1));
        second.Progress.Wave.ShouldBe(1);
        Set(devices, second.Schedule, Started(T0.AddMinutes(1)));
        Set(devices, second.Schedule.Take(1), Finished(RolloutDeviceState.Failed, T0.AddMinutes(2), FailureKind.Failed));
        Decide(policy, devices, second.Progress, T0.AddMinutes(3)).Phase.ShouldBe(RolloutPhase.Progressing, "one failure in wave 2; wave 1's does not count");
    }

    [Fact]
    public void Every_waiting_device_says_why_it_waits()
    {
        var policy = OneWave with { Waves = [Quantity.Percent(50), Quantity.Percent(100)], MaxConcurrent = 2, Soak = TimeSpan.FromMinutes(30) };
        var devices = Devices(6);
        devices[0] = devices[0] with { Groups = ["kiosks"] };
        var first = Decide(policy, devices, RolloutProgress.Start, T0);
        first.Schedule.Count.ShouldBe(2);
        first.Waits.Count.ShouldBe(4);
        first.Waits.Values.Count(w => w.Reason == WaitReason.Wave).ShouldBe(3);
        first.Waits.Values.Count(w => w.Reason == WaitReason.Concurrency).ShouldBe(1);

        var ordered = RolloutPlanner.Order(devices, "commit-a").Select(d => d.Key).ToList();
        Set(devices, ordered.Take(3), Started(T0));
        Set(devices, ordered.Take(3), Finished(RolloutDeviceState.Succeeded, T0.AddMinutes(10)));
        var soaking = Decide(policy, devices, first.Progress, T0.AddMinutes(11));
        soaking.Phase.ShouldBe(RolloutPhase.Soaking);
        soaking.Waits.Values.ShouldAllBe(w => w == new DeviceWait(WaitReason.Soak, T0.AddMinutes(41), "wave 2"), "the soak runs from the decision that saw the wave complete");
        soaking.Waits.Count.ShouldBe(3);
        soaking.NextWaveAt.ShouldBe(T0.AddMinutes(41));
        soaking.EstimatedEnd.ShouldBe(T0.AddMinutes(41 + 10 + 10), "three devices at two at a time, ten minutes each");
    }

    [Fact]
    public void Dependents_wait_naming_the_group()
    {
        var devices = new List<RolloutDevice>
        {
            new() { Key = "gw", Groups = ["gateways"], LastCheckIn = T0 },
            new() { Key = "k1", Groups = ["kiosks"], LastCheckIn = T0 },
        };
        var decision = RolloutPlanner.Decide(new RolloutInput
        {
            Policy = OneWave, Devices = devices, Progress = RolloutProgress.Start, Now = T0,
            DependsOn = new Dictionary<string, IReadOnlyList<string>> { ["kiosks"] = ["gateways"] },
        });
        decision.Waits["k1"].ShouldBe(new DeviceWait(WaitReason.DependsOn, null, "group 'gateways'"));
        decision.Waits["k1"].Describe().ShouldBe("waits for group 'gateways'");
    }

    [Fact]
    public void The_forecast_uses_the_assumed_device_time_until_devices_finish()
    {
        var policy = OneWave with { Waves = [Quantity.Percent(10), Quantity.Percent(100)], MaxConcurrent = 5, Soak = TimeSpan.FromMinutes(30) };
        var devices = Devices(20);
        Decide(policy, devices, RolloutProgress.Start, T0).EstimatedEnd.ShouldBeNull("no device finished and nothing assumed");
        var decision = Decide(policy, devices, RolloutProgress.Start, T0, assumed: TimeSpan.FromMinutes(10));
        decision.NextWaveAt.ShouldBe(T0.AddMinutes(10 + 30));
        decision.EstimatedEnd.ShouldBe(T0.AddMinutes(40 + 40), "18 devices five at a time: four rounds of ten minutes");
    }
}
