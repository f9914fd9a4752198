using Gitfleet.Core.Rollouts;
using static Gitfleet.Core.Tests.Rollouts.Steps.RolloutWorkFixture;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>Restart, drift, abort, offline devices and the classification state, without a server.</summary>
public sealed class RolloutWorkStateTests
{
    [Fact]
    public void A_new_commit_starts_over_and_enrols_the_devices_that_need_a_change_and_the_forced_ones()
    {
        var memory = new RolloutMemory();
        memory.Started("old", Now.AddDays(-1));
        var target = Target(Policy, ["img-2"], Wants("behind"), Wants("current"), Wants("installing"), Wants("gone"));
        var work = Work(target, [Device("behind"), Device("current", "img-2"), Device("installing", "img-1", null, Flight("dep-9"))], [Row("old", RolloutDeviceState.Failed)], memory);

        work.Restart(null);

        work.Restarted.ShouldBeTrue();
        work.StartedAt.ShouldBe(Now);
        work.Progress.ShouldBe(RolloutProgress.Start);
        work.Rows.Keys.Order(StringComparer.Ordinal).ToList().ShouldBe(["behind", "current", "installing"], "the device that is gone and the old row are not enrolled");
        work.Rows["behind"].State.ShouldBe(RolloutDeviceState.Waiting);
        work.Rows["current"].LastError.ShouldBe(ForcedReinstall.Reason("img-2"));
        work.Rows["installing"].State.ShouldBe(RolloutDeviceState.Scheduled);
        work.Rows["installing"].Deployments.ShouldBe(["dep-9"]);
        memory.StartOf("old").ShouldBeNull("a new rollout forgets the old one");
        memory.StartOf("installing").ShouldBe(Now);
        work.Written.Select(r => r.DeviceId).ShouldBe(["behind", "current", "installing"], "written in device order");
    }

    [Fact]
    public void The_same_commit_again_keeps_the_rows_of_devices_whose_desired_state_did_not_change()
    {
        var previous = Target(Wants("d1"), Wants("d2"));
        var target = Target(Wants("d1"), Wants("d2", "img-3"));
        var kept = Row("d1", RolloutDeviceState.Failed, 2, "OS image img-2 failed: disk full");
        var work = Work(target, [Device("d1"), Device("d2")], [kept, Row("d2", RolloutDeviceState.Succeeded)]);

        work.Restart(previous);

        work.Rows["d1"].ShouldBeSameAs(kept);
        work.Rows["d2"].State.ShouldBe(RolloutDeviceState.Waiting);
        work.StartedAt.ShouldBe(Now.AddHours(-1), "the rollout goes on");
    }

    [Theory]
    [InlineData(RolloutDeviceState.Succeeded, 1, -60, RolloutDeviceState.Succeeded)]
    [InlineData(RolloutDeviceState.Succeeded, 1, -10, RolloutDeviceState.Scheduled)]
    [InlineData(RolloutDeviceState.Failed, 1, -60, RolloutDeviceState.Waiting)]
    [InlineData(RolloutDeviceState.Failed, 2, -60, RolloutDeviceState.Failed)]
    [InlineData(RolloutDeviceState.Aborted, 1, -60, RolloutDeviceState.Waiting)]
    [InlineData(RolloutDeviceState.Scheduled, 1, -60, RolloutDeviceState.Scheduled)]
    public void The_classification_state_reads_grace_retries_and_aborts(RolloutDeviceState state, int attempts, int changedSecondsAgo, RolloutDeviceState expected)
    {
        var row = Row("d1", state, attempts) with { ChangedAt = Now.AddSeconds(changedSecondsAgo) };
        var work = Work(Target(Wants("d1")), [Device("d1", "img-2")], [row], grace: TimeSpan.FromSeconds(30));

        work.ClassificationState(0).ShouldBe(expected);
    }

    [Fact]
    public void A_target_device_without_a_row_was_converged_when_the_rollout_started() =>
        Work(Target(Wants("d1")), [Device("d1", "img-2")], []).ClassificationState(0).ShouldBe(RolloutDeviceState.Succeeded);

    [Theory]
    [InlineData("no-row-drifted", true, 1)]
    [InlineData("no-row-drifted", false, 0)]
    [InlineData("no-row-converged", true, 0)]
    [InlineData("succeeded-within-grace", true, 0)]
    [InlineData("in-flight", true, 0)]
    [InlineData("gone", true, 0)]
    public void A_converged_device_that_differs_with_nothing_in_flight_drifted_and_is_enrolled_when_correcting(string kind, bool correct, int enrolled)
    {
        RolloutDeviceRecord[] none = [];
        var (facts, rows) = kind switch
        {
            "no-row-drifted" => (Device("d1"), none),
            "no-row-converged" => (Device("d1", "img-2"), none),
            "succeeded-within-grace" => (Device("d1"), new[] { Row("d1", RolloutDeviceState.Succeeded) with { ChangedAt = Now.AddSeconds(-5) } }),
            "in-flight" => (Device("d1", "img-1", null, Flight("dep-1")), none),
            _ => (Device("other"), none),
        };
        var work = Work(Target(Wants("d1")), [facts], rows);
        work.Progress = work.Progress with { CompletedAt = Now.AddMinutes(-1) };

        work.CorrectDrift(correct).ShouldBe(enrolled);

        if (enrolled > 0)
        {
            work.Rows["d1"].State.ShouldBe(RolloutDeviceState.Waiting);
            work.Rows["d1"].LastError!.ShouldStartWith("drifted from the desired state: ");
            work.Progress.CompletedAt.ShouldBeNull("a completed rollout with devices to do again runs again");
        }
        else
        {
            work.RowsChanged.ShouldBeFalse();
            work.Progress.CompletedAt.ShouldNotBeNull();
        }
    }

    [Fact]
    public void Superseded_deployments_are_aborted()
    {
        var stale = new Gitfleet.Core.Facts.InFlightDeployment { DeploymentId = "dep-old", Kind = Gitfleet.Core.Facts.DeploymentKind.Os, ArtifactName = "img-0", Status = "downloading" };
        var work = Work(Target(Wants("d1")), [Device("d1", "img-1", null, stale)], []);

        work.AbortSuperseded();

        work.Aborts.ShouldBe([new DevicePart("dep-old", "d1")]);
    }

    [Fact]
    public void Aborting_leaves_out_every_device_not_done_and_aborts_their_parts_in_flight()
    {
        var work = Work(
            Target(Wants("scheduled"), Wants("waiting"), Wants("retry"), Wants("failed"), Wants("done")),
            [Device("scheduled", "img-1", null, Flight("dep-1")), Device("waiting"), Device("retry"), Device("failed"), Device("done", "img-2")],
            [
                Row("scheduled", RolloutDeviceState.Scheduled, deployments: "dep-1"), Row("waiting", RolloutDeviceState.Waiting, 0),
                Row("retry", RolloutDeviceState.Failed, 1), Row("failed", RolloutDeviceState.Failed, 2), Row("done", RolloutDeviceState.Succeeded),
            ]);

        work.Abort("aborted by an operator");

        work.Progress.Aborted.ShouldBeTrue();
        work.Aborts.ShouldBe([new DevicePart("dep-1", "scheduled")]);
        work.Rows.Values.Where(r => r.State == RolloutDeviceState.Aborted).Select(r => r.DeviceId).Order(StringComparer.Ordinal).ShouldBe(["retry", "scheduled", "waiting"]);
        work.Rows["failed"].State.ShouldBe(RolloutDeviceState.Failed, "failed for good stays failed");
        work.Rows["retry"].LastError.ShouldBe("aborted by an operator");
        work.FailedForGood().ShouldBe(1);
    }

    [Fact]
    public void Offline_counts_devices_not_done_that_are_silent_longer_than_the_offline_timeout()
    {
        var silent = Now.AddHours(-2);
        var work = Work(
            Target(Wants("online"), Wants("silent"), Wants("never"), Wants("silent-done"), Wants("silent-failed-for-good")),
            [Device("online"), Device("silent", checkIn: silent), Device("never") with { LastCheckIn = null }, Device("silent-done", checkIn: silent), Device("silent-failed-for-good", checkIn: silent)],
            [
                Row("online", RolloutDeviceState.Waiting), Row("silent", RolloutDeviceState.Scheduled), Row("never", RolloutDeviceState.Failed, 1),
                Row("silent-done", RolloutDeviceState.Succeeded), Row("silent-failed-for-good", RolloutDeviceState.Failed, 2),
            ]);

        var (count, hash) = work.Offline();

        count.ShouldBe(2);
        hash.ShouldBe(StringComparer.Ordinal.GetHashCode("silent") ^ StringComparer.Ordinal.GetHashCode("never"));
    }
}
