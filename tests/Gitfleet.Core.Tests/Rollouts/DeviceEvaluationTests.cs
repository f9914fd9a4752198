using Gitfleet.Core.Facts;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Target devices compared with their facts, without a server.</summary>
public sealed class DeviceEvaluationTests
{
    private static readonly CommitInfo Commit = new("abc123", "dev", "roll img-2", new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    internal static TargetIndex Target(params TargetDevice[] devices) =>
        new(new BranchTarget { Branch = "main", Commit = Commit, Devices = devices }, 1);

    private static DeviceFacts Device(string installed, InFlightDeployment? flight = null) => new()
    {
        Id = "d1",
        ArtifactName = installed,
        InFlight = flight is null ? [] : [flight],
    };

    [Theory]
    [InlineData("as-desired", false, false, false, false)]
    [InlineData("behind", false, true, true, false)]
    [InlineData("installing", false, true, false, true)]
    [InlineData("stale-flight", false, false, false, false)]
    [InlineData("decommissioned", true, false, false, false)]
    public void A_device_is_missing_behind_or_in_flight_by_its_facts(string state, bool missing, bool needsChange, bool needsSchedule, bool inFlight)
    {
        var facts = new Dictionary<string, DeviceFacts>();
        var device = state switch
        {
            "as-desired" => Device("img-2"),
            "behind" => Device("img-1"),
            "installing" => Device("img-1", new InFlightDeployment { DeploymentId = "dep-2", Kind = DeploymentKind.Os, ArtifactName = "img-2" }),
            "stale-flight" => Device("img-2", new InFlightDeployment { DeploymentId = "dep-1", Kind = DeploymentKind.Os, ArtifactName = "img-1" }),
            _ => null,
        };
        if (device is not null)
        {
            facts["d1"] = device;
        }

        var evaluation = DeviceEvaluation.EvaluateAll(Target(new TargetDevice("d1", "img-2", null, [])), facts).ShouldHaveSingleItem();

        evaluation.Missing.ShouldBe(missing);
        evaluation.NeedsChange.ShouldBe(needsChange);
        evaluation.NeedsSchedule.ShouldBe(needsSchedule);
        evaluation.InFlight.ShouldBe(inFlight);
        evaluation.DesiredInFlight("img-2").ShouldBe(state == "installing" ? new[] { "dep-2" } : []);
    }

    [Fact]
    public void An_unchanged_device_keeps_its_previous_evaluation_and_a_changed_one_is_compared_again()
    {
        var target = Target(new TargetDevice("d1", "img-2", null, []), new TargetDevice("d2", "img-2", null, []));
        var d1 = Device("img-1");
        var d2 = Device("img-1") with { Id = "d2" };
        var before = DeviceEvaluation.EvaluateAll(target, new Dictionary<string, DeviceFacts> { ["d1"] = d1, ["d2"] = d2 });

        var after = DeviceEvaluation.EvaluateAll(target, new Dictionary<string, DeviceFacts> { ["d1"] = d1, ["d2"] = d2 with { ArtifactName = "img-2" } }, before);

        after[0].ShouldBeSameAs(before[0]);
        after[1].NeedsChange.ShouldBeFalse();
        before[1].NeedsChange.ShouldBeTrue();
    }
}
