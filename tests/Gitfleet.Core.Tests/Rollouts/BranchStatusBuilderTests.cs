using System.Text.Json;
using Gitfleet.Core.Delivery;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;
using Gitfleet.Core.Tests.Delivery;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>A branch's status (device counts, issues, conditions) from one decision, without a server.</summary>
public sealed class BranchStatusBuilderTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly CommitInfo Applied = new("abc1234567890def", "dev", "roll img-2", Now.AddHours(-1));

    private sealed class BranchSource : IBranchStatusSource
    {
        public string Branch { get; init; } = "main";

        public TargetIndex? Target { get; init; }

        public RolloutDecision? LastDecision { get; init; }

        public string? TransientError { get; init; }

        public string? LastSeenCommit { get; init; }

        public CommitInfo? AppliedCommit { get; init; }

        public IReadOnlyList<string> Errors { get; init; } = [];

        public DateTimeOffset? StartedAt { get; init; }

        public DateTimeOffset TransitionTime(string type, bool value, DateTimeOffset now) => now;
    }

    private sealed class Rows(TargetIndex target, Dictionary<string, (RolloutDeviceState State, RolloutRowSummary Row)> rows) : IRolloutDeviceView
    {
        public RolloutDeviceState ClassificationState(int i) =>
            rows.TryGetValue(target.DeviceIds[i], out var row) ? row.State : RolloutDeviceState.Succeeded;

        public RolloutRowSummary? RowOf(string deviceId) => rows.TryGetValue(deviceId, out var row) ? row.Row : null;
    }

    private static TargetIndex Target(params string[] devices) =>
        new(new BranchTarget { Branch = "main", Commit = Applied, Devices = [.. devices.Select(d => new TargetDevice(d, "img-2", null, []))] }, 1);

    [Theory]
    [InlineData("img-2", null, true, null, null)]
    [InlineData("img-1", RolloutDeviceState.Failed, true, "failed", "OS image img-2 failed: boom")]
    [InlineData("img-1", RolloutDeviceState.Waiting, false, "offline", "has never checked in")]
    [InlineData("img-1", null, true, "modified", "runs img-1, git wants img-2")]
    [InlineData("img-1", RolloutDeviceState.Waiting, true, null, null)]
    [InlineData(null, null, true, "problem", "unknown-device: in the target but no longer known to the server")]
    public void A_device_that_is_not_fine_is_an_issue_with_its_reason(string? installed, RolloutDeviceState? state, bool checkedIn, string? kind, string? message)
    {
        var target = Target("d1");
        var facts = installed is null ? null : new DeviceFacts { Id = "d1", ArtifactName = installed, LastCheckIn = checkedIn ? Now : null };
        var evaluations = DeviceEvaluation.EvaluateAll(target, facts is null ? new Dictionary<string, DeviceFacts>() : new Dictionary<string, DeviceFacts> { ["d1"] = facts });
        var rows = state is { } s ? new Dictionary<string, (RolloutDeviceState, RolloutRowSummary)> { ["d1"] = (s, new RolloutRowSummary("OS image img-2 failed: boom", "dep-1", Now)) } : [];

        var status = BranchStatusBuilder.Build(new BranchSource { Target = target }, evaluations, new Rows(target, rows), Now);

        status.Devices.Total.ShouldBe(1);
        if (kind is null)
        {
            status.Issues.ShouldBeEmpty();
            return;
        }

        var issue = status.Issues.ShouldHaveSingleItem();
        issue.Device.ShouldBe("d1");
        issue.State.ShouldBe(kind);
        issue.Reason.ShouldBe(message);
        if (kind == "failed")
        {
            issue.DeploymentId.ShouldBe("dep-1");
        }
    }

    [Fact]
    public void Devices_are_counted_by_convergence_state()
    {
        var target = Target("ok", "failed", "silent", "drifted", "waiting", "gone");
        var facts = new Dictionary<string, DeviceFacts>
        {
            ["ok"] = new() { Id = "ok", ArtifactName = "img-2", LastCheckIn = Now },
            ["failed"] = new() { Id = "failed", ArtifactName = "img-1", LastCheckIn = Now },
            ["silent"] = new() { Id = "silent", ArtifactName = "img-1" },
            ["drifted"] = new() { Id = "drifted", ArtifactName = "img-1", LastCheckIn = Now },
            ["waiting"] = new() { Id = "waiting", ArtifactName = "img-1", LastCheckIn = Now },
        };
        var row = new RolloutRowSummary(null, null, Now);
        var rows = new Dictionary<string, (RolloutDeviceState, RolloutRowSummary)>
        {
            ["failed"] = (RolloutDeviceState.Failed, row),
            ["silent"] = (RolloutDeviceState.Waiting, row),
            ["waiting"] = (RolloutDeviceState.Waiting, row),
        };

        var status = BranchStatusBuilder.Build(new BranchSource { Target = target }, DeviceEvaluation.EvaluateAll(target, facts), new Rows(target, rows), Now);

        status.Devices.ShouldBe(new DeviceCounts { Total = 6, Converged = 1, Pending = 1, Failed = 1, Offline = 1, Modified = 1, Problems = 1 });
        status.Issues.Select(i => i.State).ShouldBe(new[] { "failed", "offline", "modified", "problem" });
    }

    [Theory]
    [InlineData(false, null, false, false, "NoTarget", true, "WaitingForTarget", false)]
    [InlineData(false, "git unreachable", false, false, "NoTarget", true, "RetryingAfterError", false)]
    [InlineData(true, null, true, false, "Stalled", false, "Idle", true)]
    [InlineData(true, null, false, true, "Converged", false, "Idle", false)]
    [InlineData(true, null, false, false, "Progressing", false, "Idle", false)]
    public void Conditions_say_whether_the_branch_is_ready_reconciling_or_stalled(
        bool hasTarget, string? transientError, bool invalidCommit, bool converged, string ready, bool reconciling, string reconcilingReason, bool stalled)
    {
        var target = hasTarget ? Target("d1") : null;
        var facts = new Dictionary<string, DeviceFacts> { ["d1"] = new() { Id = "d1", ArtifactName = converged ? "img-2" : "img-1", LastCheckIn = Now } };
        var branch = new BranchSource
        {
            Target = target,
            TransientError = transientError,
            LastSeenCommit = invalidCommit ? "fedcba9876543210" : Applied.Sha,
            Errors = invalidCommit ? ["gitfleet.yml:3: unknown key"] : [],
        };
        var rows = new Dictionary<string, (RolloutDeviceState, RolloutRowSummary)> { ["d1"] = (RolloutDeviceState.Waiting, new RolloutRowSummary(null, null, Now)) };

        var status = BranchStatusBuilder.Build(branch, target is null ? null : DeviceEvaluation.EvaluateAll(target, facts), target is null ? null : new Rows(target, rows), Now);

        var conditions = status.Conditions.ToDictionary(c => c.Type);
        conditions[StatusCondition.Ready].Reason.ShouldBe(ready);
        conditions[StatusCondition.Ready].Status.ShouldBe(ready == "Converged");
        conditions[StatusCondition.Reconciling].Status.ShouldBe(reconciling);
        conditions[StatusCondition.Reconciling].Reason.ShouldBe(reconcilingReason);
        conditions[StatusCondition.Stalled].Status.ShouldBe(stalled);
        conditions[StatusCondition.Ready].LastTransition.ShouldBe(Now);
    }

    [Fact]
    public void The_branch_status_carries_the_rollout_transfer_in_its_json()
    {
        var source = new BranchSource
        {
            Target = Target("d1"),
            LastDecision = new RolloutDecision
            {
                Schedule = [], Progress = RolloutProgress.Start, Phase = RolloutPhase.Progressing, Message = "wave 1", Counts = new RolloutCounts(1, 0, 1, 0, 0, 0, 0),
            },
        };
        var transfer = RolloutTransferTests.Estimate(RolloutTransferTests.Device("d1", 0, DownloadProgress.Moved));

        var status = BranchStatusBuilder.Build(source, null, null, Now, transfer);
        var none = BranchStatusBuilder.Build(source, null, null, Now, RolloutTransferTests.Estimate());

        status.Rollout!.Transfer.ShouldBe(transfer);
        none.Rollout!.Transfer.ShouldBeNull("a rollout that moves no OS image shows no bytes");
        var json = JsonDocument.Parse(JsonSerializer.Serialize(status, ReconcileJson.Context.BranchStatus)).RootElement.GetProperty("rollout").GetProperty("transfer");
        var wave = json.GetProperty("waves")[0];
        wave.GetProperty("moved_bytes").GetInt64().ShouldBe(RolloutTransferTests.Delta);
        wave.GetProperty("to_move_bytes").GetInt64().ShouldBe(0);
        wave.GetProperty("groups")[0].GetProperty("method").GetString().ShouldBe("delta");
        wave.GetProperty("groups")[0].GetProperty("moved").GetInt32().ShouldBe(1);
    }
}
