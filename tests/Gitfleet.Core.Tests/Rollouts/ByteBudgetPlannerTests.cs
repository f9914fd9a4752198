using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>
/// The byte budget as one of the planner's start limits, with an explicit clock: devices start as their downloads
/// fit, the rest wait with the reason "budget", the decision wakes when the hour has room, finished devices free the
/// wave's budget, and the other limits still apply.
/// </summary>
public sealed class ByteBudgetPlannerTests
{
    private const long MB = 1_000_000;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly RolloutPolicy OneWave = new() { Waves = [Quantity.Percent(100)], OfflineTimeout = TimeSpan.FromHours(1) };

    private static List<RolloutDevice> Devices(int count) =>
        Enumerable.Range(0, count).Select(i => new RolloutDevice { Key = $"d{i:D3}", LastCheckIn = T0 }).ToList();

    private static RolloutDecision Decide(RolloutPolicy policy, List<RolloutDevice> devices, DateTimeOffset now, IReadOnlyDictionary<string, long>? bytes = null) =>
        RolloutPlanner.Decide(new RolloutInput
        {
            Policy = policy,
            Devices = devices.Select(d => d with { LastCheckIn = now }).ToList(),
            Progress = RolloutProgress.Start,
            Now = now,
            Seed = "commit-a",
            DownloadBytes = bytes ?? devices.ToDictionary(d => d.Key, _ => 30 * MB),
        });

    private static void Start(List<RolloutDevice> devices, IEnumerable<string> keys, DateTimeOffset at, RolloutDeviceState state = RolloutDeviceState.Scheduled)
    {
        foreach (var key in keys.ToList())
        {
            var i = devices.FindIndex(d => d.Key == key);
            devices[i] = devices[i] with { State = state, Attempts = 1, StartedAt = at, ChangedAt = at };
        }
    }

    [Fact]
    public void The_hourly_budget_starts_what_fits_and_wakes_when_the_hour_has_room()
    {
        var policy = OneWave with { ByteBudget = new ByteBudgetPolicy { PerHour = 100 * MB } };
        var devices = Devices(10);
        var first = Decide(policy, devices, T0);
        first.Schedule.Count.ShouldBe(3);
        first.WakeAt.ShouldBe(T0.AddHours(1));
        first.Waits.Values.Count(w => w.Reason == WaitReason.Budget).ShouldBe(7);
        first.Waits.Values.First(w => w.Reason == WaitReason.Budget).Describe()
            .ShouldBe($"byte budget used up until {T0.AddHours(1):u}: the hourly byte budget (100 MB) is used: 90.0 MB admitted in the last hour");
        first.Message.ShouldContain("7 waiting for the byte budget");

        Start(devices, first.Schedule, T0, RolloutDeviceState.Succeeded);
        Decide(policy, devices, T0.AddMinutes(59)).Schedule.ShouldBeEmpty("finished downloads count for the hour after they started");
        var refilled = Decide(policy, devices, T0.AddHours(1));
        refilled.Schedule.Count.ShouldBe(3);
        refilled.Schedule.ShouldNotContain(first.Schedule[0]);
    }

    [Fact]
    public void The_wave_budget_counts_devices_in_progress_and_refills_as_they_finish()
    {
        var policy = OneWave with { ByteBudget = new ByteBudgetPolicy { PerWave = 60 * MB } };
        var devices = Devices(4);
        var first = Decide(policy, devices, T0);
        first.Schedule.Count.ShouldBe(2);
        first.WakeAt.ShouldBeNull("only finishing devices free room");
        first.Waits.Values.ShouldAllBe(w => w.Reason == WaitReason.Budget);

        Start(devices, first.Schedule, T0);
        Decide(policy, devices, T0.AddHours(2)).Schedule.ShouldBeEmpty("still in progress, however long ago they started");
        Start(devices, [first.Schedule[0]], T0, RolloutDeviceState.Succeeded);
        Decide(policy, devices, T0.AddMinutes(5)).Schedule.Count.ShouldBe(1);
    }

    [Fact]
    public void A_small_download_does_not_overtake_a_big_one_and_configuration_changes_cost_nothing()
    {
        var policy = OneWave with { ByteBudget = new ByteBudgetPolicy { PerHour = 100 * MB }, MaxConcurrent = 10 };
        var devices = Devices(4);
        var order = Decide(OneWave, devices, T0).Schedule;
        var bytes = new Dictionary<string, long> { [order[0]] = 60 * MB, [order[1]] = 50 * MB, [order[2]] = 1 * MB };

        var decision = Decide(policy, devices, T0, bytes);
        decision.Schedule.ShouldBe([order[0]]);
        decision.Waits.Keys.ShouldBe([order[1], order[2], order[3]], ignoreOrder: true);

        var configurationOnly = Decide(policy, devices, T0, new Dictionary<string, long>());
        configurationOnly.Schedule.Count.ShouldBe(4, "devices without a download are not held back");
    }
}
