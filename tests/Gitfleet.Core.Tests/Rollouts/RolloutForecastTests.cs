using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>The forecast of waves: concurrency rounds, pacing, soak, completeAt and a maintenance window.</summary>
public sealed class RolloutForecastTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly RolloutPolicy Policy = new()
    {
        Waves = [Quantity.Percent(1), Quantity.Percent(10), Quantity.Percent(50), Quantity.Percent(100)],
        MaxConcurrent = 100,
        Soak = TimeSpan.FromMinutes(30),
    };

    private static IReadOnlyList<WaveForecast> Estimate(RolloutPolicy policy, MaintenanceCalendar? calendar = null, IReadOnlyList<int>? sizes = null) => RolloutForecast.Estimate(new ForecastInput
    {
        Policy = policy,
        Now = T0,
        DeviceTime = TimeSpan.FromMinutes(10),
        WaveSizes = sizes ?? [10, 100, 500, 1000],
        Calendar = calendar,
    });

    private static IEnumerable<(int Start, int End)> Minutes(IReadOnlyList<WaveForecast> waves) =>
        waves.Select(w => ((int)(w.Start - T0).TotalMinutes, (int)(w.End - T0).TotalMinutes));

    [Fact]
    public void Waves_take_rounds_of_max_concurrent_devices_and_soak_in_between()
    {
        Minutes(Estimate(Policy)).ShouldBe([(0, 10), (40, 50), (80, 120), (150, 200)]);
    }

    [Fact]
    public void Pacing_spreads_the_starts_when_it_binds_before_concurrency()
    {
        // Five starts a minute keep at most 50 devices in flight: wave 2's 90 devices start over 18 minutes, and so on.
        Minutes(Estimate(Policy with { Pacing = new PacingPolicy(5) })).ShouldBe([(0, 11), (41, 68), (98, 187), (217, 326)]);
    }

    [Fact]
    public void A_ramp_shortens_the_later_waves()
    {
        var ramped = Minutes(Estimate(Policy with { Pacing = new PacingPolicy(5) { Ramp = new PacingRamp(2, 50) { MaxPerMinute = 40 } } })).ToList();
        ramped[0].ShouldBe((0, 11));
        ramped[^1].End.ShouldBeLessThan(230, "the rate doubles every 50 starts until concurrency (100 per 10 minutes) binds; unramped: 326");
        ramped[^1].End.ShouldBeGreaterThanOrEqualTo(150 + 50, "never faster than concurrency allows: 500 devices at 10 a minute after wave 3 starts");
    }

    [Fact]
    public void CompleteAt_ends_a_wave_before_its_last_devices()
    {
        var policy = Policy with { MaxConcurrent = 10, Waves = [Quantity.Percent(100)] };
        Minutes(Estimate(policy, sizes: [100])).ShouldBe([(0, 100)], "100 devices, 10 at a time");
        Minutes(Estimate(policy with { CompleteAt = Quantity.Percent(90) }, sizes: [100])).ShouldBe([(0, 90)]);
    }

    [Fact]
    public void Installs_wait_for_the_window_to_open()
    {
        var nights = MaintenanceCalendar.For([new MaintenanceWindow { Name = "n", Schedule = new WeeklyWindowSchedule(Enum.GetValues<DayOfWeek>().ToHashSet(), new TimeOnly(22, 0), new TimeOnly(4, 0)) }], []);
        var waves = Estimate(Policy with { Waves = [Quantity.Percent(100)] }, nights, [1000]);
        waves[0].End.ShouldBe(T0.AddHours(10).AddMinutes(100), "downloaded by day, installed from 22:00 in ten rounds");
    }

    [Fact]
    public void A_soaking_wave_starts_the_forecast_at_the_soak_end()
    {
        var waves = RolloutForecast.Estimate(new ForecastInput
        {
            Policy = Policy,
            Now = T0,
            DeviceTime = TimeSpan.FromMinutes(10),
            WaveSizes = [10, 100, 500, 1000],
            CurrentWave = 1,
            DoneInCurrentWave = 100,
            SoakingSince = T0.AddMinutes(-10),
        });
        Minutes(waves).ShouldBe([(-10, -10), (20, 60), (90, 140)]);
    }
}
