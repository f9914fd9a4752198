using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>The watcher loads, validates and plans a commit within fleet_revision_timeout; a commit past it is Stalled.</summary>
public sealed class RevisionBudgetTests
{
    [Fact]
    public async Task A_commit_past_its_time_budget_is_stalled_with_the_reason()
    {
        await using var fleet = await ReconcileHarness.StartAsync(o => o with { FleetRevisionTimeout = TimeSpan.FromTicks(1) });
        using var device = await fleet.DeviceAsync();
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] }, "image-1");
        var head = fleet.Repository.Commit("A fleet");
        await fleet.ReconcileAsync("main");

        var status = await fleet.StatusAsync("main");
        status.LastSeenCommit.ShouldBe(head);
        status.AppliedCommit.ShouldBeNull();
        status.Conditions.Single(c => c.Type == "Stalled").Status.ShouldBeTrue();
        status.Errors.ShouldHaveSingleItem().ShouldStartWith("the commit takes longer than 0s to load, validate and plan (fleet_revision_timeout)");
    }
}
