using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Deployments;

/// <summary>The in-memory install gate: windows evaluated live, the pause, devices of no gated branch.</summary>
public sealed class InstallHoldsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly MaintenanceCalendar Evenings = MaintenanceCalendar.For(
        [new MaintenanceWindow { Name = "evenings", Schedule = new WeeklyWindowSchedule(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(18, 0), new TimeOnly(20, 0)) }], []);

    [Fact]
    public void A_gated_device_is_held_until_its_window_opens_and_while_its_rollout_is_paused()
    {
        var time = new ManualTimeProvider(Noon);
        var holds = new InstallHolds(time);
        holds.PublishTarget("production", 3, new Dictionary<string, MaintenanceCalendar> { ["evenings"] = Evenings }, new Dictionary<string, string> { ["d1"] = "evenings" });

        holds.For("d1").ShouldBe(new InstallGate(true, true, Noon.AddHours(6)));
        holds.For("d2").ShouldBe(InstallGate.Free, "a device of no gated branch installs as before");
        holds.PublishedGeneration("production").ShouldBe(3);

        time.Advance(TimeSpan.FromHours(6));
        holds.For("d1").ShouldBe(new InstallGate(true, false, Noon.AddHours(8)), "the window opened: released without a decision");
        holds.SetPaused("production", true);
        holds.For("d1").Held.ShouldBeTrue("a paused rollout starts no install");
        holds.PublishTarget("production", 4, new Dictionary<string, MaintenanceCalendar> { ["evenings"] = Evenings }, new Dictionary<string, string> { ["d1"] = "evenings" });
        holds.For("d1").Held.ShouldBeTrue("the pause outlives a new target until the engine says otherwise");
        holds.SetPaused("production", false);

        time.Advance(TimeSpan.FromHours(2));
        holds.For("d1").ShouldBe(new InstallGate(true, true, Noon.AddDays(1).AddHours(6)), "closed again at 20:00");
        holds.Remove("production");
        holds.For("d1").ShouldBe(InstallGate.Free);
    }
}
