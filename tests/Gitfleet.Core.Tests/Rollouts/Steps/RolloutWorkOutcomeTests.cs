using Gitfleet.Core.Facts;
using Gitfleet.Core.Rollouts;
using static Gitfleet.Core.Tests.Rollouts.Steps.RolloutWorkFixture;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>Deployment outcomes -> device states, without a server: what a decision makes of finished parts.</summary>
public sealed class RolloutWorkOutcomeTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<DeviceLogLine>> NoLogs = new Dictionary<string, IReadOnlyList<DeviceLogLine>>();

    [Theory]
    [InlineData(PartResult.Success, "img-2", RolloutDeviceState.Succeeded, null)]
    [InlineData(PartResult.AlreadyInstalled, "img-2", RolloutDeviceState.Succeeded, null)]
    [InlineData(PartResult.Failure, "img-1", RolloutDeviceState.Failed, "OS image img-2 failed (the device sent no log)")]
    [InlineData(PartResult.NoArtifact, "img-1", RolloutDeviceState.Failed, "OS image img-2: no artifact for device type 'pi4' on the server")]
    [InlineData(PartResult.Other, "img-2", RolloutDeviceState.Aborted, "its deployment was aborted outside the rollout")]
    [InlineData(PartResult.AlreadyInstalled, "img-1", RolloutDeviceState.Failed, "OS image img-2: the device reports it installed but runs img-1; the client does not install an artifact of the name it reports (reinstall the image on the device)")]
    public void A_finished_part_moves_its_device_on(PartResult result, string installed, RolloutDeviceState expected, string? error)
    {
        var work = Work(Target(Wants("d1")), [Device("d1", installed)], [Row("d1", RolloutDeviceState.Scheduled, deployments: "dep-1")]);

        work.FinishedParts().ShouldBe([new DevicePart("dep-1", "d1")]);
        work.ApplyOutcomes([Outcome("dep-1", "d1", result)], NoLogs);

        work.Rows["d1"].State.ShouldBe(expected);
        work.Rows["d1"].LastError.ShouldBe(error);
        work.Rows["d1"].ChangedAt.ShouldBe(Now);
        work.Written.ShouldHaveSingleItem().DeviceId.ShouldBe("d1");
    }

    [Fact]
    public void A_part_still_in_flight_is_not_read_and_its_device_stays_scheduled()
    {
        var work = Work(Target(Wants("d1")), [Device("d1", "img-1", null, Flight("dep-1"))], [Row("d1", RolloutDeviceState.Scheduled, deployments: "dep-1")]);

        work.FinishedParts().ShouldBeEmpty();
        work.ApplyOutcomes([], NoLogs);

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Scheduled);
        work.RowsChanged.ShouldBeFalse();
    }

    [Fact]
    public void A_part_the_store_does_not_know_counts_as_aborted()
    {
        var work = Work(Target(Wants("d1")), [Device("d1", "img-2")], [Row("d1", RolloutDeviceState.Scheduled, deployments: "dep-1")]);

        work.ApplyOutcomes([], NoLogs);

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Aborted);
    }

    [Fact]
    public void A_scheduled_device_without_deployments_waits_again()
    {
        var work = Work(Target(Wants("d1")), [Device("d1")], [Row("d1", RolloutDeviceState.Scheduled)]);

        work.ApplyOutcomes([], NoLogs);

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Waiting);
    }

    [Fact]
    public void A_failed_part_aborts_the_devices_other_parts_in_flight_and_names_the_logs_reason()
    {
        var configuration = new InFlightDeployment { DeploymentId = "dep-2", Kind = DeploymentKind.Configuration, Status = "pending" };
        var work = Work(Target(Wants("d1")), [Device("d1", "img-1", null, configuration)], [Row("d1", RolloutDeviceState.Scheduled, deployments: ["dep-1", "dep-2"])]);
        var failure = Outcome("dep-1", "d1", PartResult.Failure);

        work.ApplyOutcomes([failure], new Dictionary<string, IReadOnlyList<DeviceLogLine>> { [failure.DeviceDeploymentId] = [new("error", "disk full")] });

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Failed);
        work.Rows["d1"].LastError.ShouldBe("OS image img-2 failed: disk full");
        work.Aborts.ShouldBe([new DevicePart("dep-2", "d1")]);
    }

    [Fact]
    public void A_failure_reported_before_its_log_is_named_once_the_log_is_there()
    {
        var waiting = "OS image img-2 failed (the device sent no log)";
        var work = Work(Target(Wants("d1")), [Device("d1")], [Row("d1", RolloutDeviceState.Failed, 1, waiting, "dep-1")]);
        var failure = Outcome("dep-1", "d1", PartResult.Failure);

        work.FinishedParts().ShouldBe([new DevicePart("dep-1", "d1")], "a failure awaiting its log is read again");
        work.ApplyOutcomes([failure], NoLogs);
        work.Rows["d1"].LastError.ShouldBe(waiting);

        work.ApplyOutcomes([failure], new Dictionary<string, IReadOnlyList<DeviceLogLine>> { [failure.DeviceDeploymentId] = [new("error", "bad signature")] });
        work.Rows["d1"].LastError.ShouldBe("OS image img-2 failed: bad signature");
        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Failed);
    }

    [Fact]
    public void A_failure_of_a_device_held_paused_is_an_interruption_offered_again_without_counting_an_attempt()
    {
        var memory = new RolloutMemory();
        memory.Observe("d1", UpdatePhase.Paused, Now.AddMinutes(-5));
        var work = Work(Target(Wants("d1")), [Device("d1")], [Row("d1", RolloutDeviceState.Scheduled, 2, null, "dep-1")], memory);

        work.ApplyOutcomes([Outcome("dep-1", "d1", PartResult.Failure)], NoLogs);

        var row = work.Rows["d1"];
        (row.State, row.Attempts, row.Deployments.Count, row.LastError, row.ChangedAt).ShouldBe((RolloutDeviceState.Waiting, 1, 0, (string?)null, Now));
        work.Aborts.ShouldBeEmpty();
        memory.PhaseOf("d1").Phase.ShouldBe(UpdatePhase.Pending);
    }

    [Theory]
    [InlineData("img-2", false, RolloutDeviceState.Succeeded)]
    [InlineData("img-1", false, RolloutDeviceState.Waiting)]
    [InlineData("img-2", true, RolloutDeviceState.Waiting)]
    public void A_waiting_device_that_needs_nothing_any_more_succeeds_unless_forced(string installed, bool forced, RolloutDeviceState expected)
    {
        var row = Row("d1", RolloutDeviceState.Waiting, 0, forced ? ForcedReinstall.Reason("img-2") : null);
        var work = Work(Target(Wants("d1")), [Device("d1", installed)], [row]);

        work.SettleWaiting();

        work.Rows["d1"].State.ShouldBe(expected);
    }

    [Fact]
    public void A_timed_out_device_fails_with_the_reason_and_its_parts_in_flight_are_aborted()
    {
        var memory = new RolloutMemory();
        var work = Work(Target(Wants("d1"), Wants("d2")), [Device("d1", "img-1", null, Flight("dep-1")), Device("d2")],
            [Row("d1", RolloutDeviceState.Scheduled, deployments: "dep-1"), Row("d2", RolloutDeviceState.Waiting, 0)], memory);
        work.TrackPhases().ShouldBeTrue("d1 reports downloading for the first time");
        memory.PhaseOf("d1").Phase.ShouldBe(UpdatePhase.Downloading);
        memory.PhaseOf("d1").Since.ShouldBe(Now);

        work.TimeOut([new TimedOutDevice("d1", "timed out: downloading for longer than 1 h"), new TimedOutDevice("d2", "not scheduled: ignored")]);

        work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Failed);
        work.Rows["d1"].LastError.ShouldBe("timed out: downloading for longer than 1 h");
        work.Rows["d2"].State.ShouldBe(RolloutDeviceState.Waiting);
        work.Aborts.ShouldBe([new DevicePart("dep-1", "d1")]);
        memory.PhaseOf("d1").Phase.ShouldBe(UpdatePhase.Pending);
    }

    [Fact]
    public void Phases_are_tracked_by_the_furthest_part_and_only_a_change_counts()
    {
        var memory = new RolloutMemory();
        var facts = Device("d1", "img-1", null, Flight("dep-1", "installing"), Flight("dep-2", "pause_before_committing"));
        Work(Target(Wants("d1")), [facts], [Row("d1", RolloutDeviceState.Scheduled, deployments: ["dep-1", "dep-2"])], memory).TrackPhases().ShouldBeTrue();
        memory.PhaseOf("d1").Phase.ShouldBe(UpdatePhase.Installing);

        Work(Target(Wants("d1")), [facts], [Row("d1", RolloutDeviceState.Scheduled, deployments: ["dep-1", "dep-2"])], memory).TrackPhases().ShouldBeFalse();
    }
}
