using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Pacing with an explicit clock: the sliding minute, the exponential ramp and its cap.</summary>
public sealed class StartPacingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 10)]
    [InlineData(99, 10)]
    [InlineData(100, 20)]
    [InlineData(250, 40)]
    [InlineData(399, 80)]
    [InlineData(400, 150)]
    [InlineData(100_000, 150)]
    public void The_rate_ramps_by_the_factor_after_every_k_successes_up_to_the_cap(int successes, int rate)
    {
        var policy = new PacingPolicy(10) { Ramp = new PacingRamp(2, 100) { MaxPerMinute = 150 } };
        StartPacing.RatePerMinute(policy, successes).ShouldBe(rate);
    }

    [Fact]
    public void A_fractional_factor_rounds_down_and_no_ramp_keeps_the_base_rate()
    {
        StartPacing.RatePerMinute(new PacingPolicy(10) { Ramp = new PacingRamp(1.5, 10) }, 10).ShouldBe(15);
        StartPacing.RatePerMinute(new PacingPolicy(10) { Ramp = new PacingRamp(1.5, 10) }, 20).ShouldBe(22);
        StartPacing.RatePerMinute(new PacingPolicy(10), 1_000_000).ShouldBe(10);
    }

    [Fact]
    public void At_most_the_rate_starts_in_any_sliding_minute()
    {
        var policy = new PacingPolicy(3);
        var starts = new List<DateTimeOffset>();
        StartPacing.Allow(policy, starts, 0, T0).ShouldBe(new PacingAllowance(3, 3, T0.AddSeconds(60)), "after three starts now, the next is a minute away");

        starts.AddRange([T0, T0.AddSeconds(20)]);
        StartPacing.Allow(policy, starts, 0, T0.AddSeconds(30)).ShouldBe(new PacingAllowance(1, 3, T0.AddSeconds(60)));

        starts.Add(T0.AddSeconds(30));
        var full = StartPacing.Allow(policy, starts, 0, T0.AddSeconds(40));
        full.ShouldBe(new PacingAllowance(0, 3, T0.AddSeconds(60)), "the oldest start leaves the minute at T0+60s");

        StartPacing.Allow(policy, starts, 0, T0.AddSeconds(60)).Available.ShouldBe(1, "a start exactly a minute ago no longer counts");
        StartPacing.Allow(policy, starts, 0, T0.AddSeconds(91)).Available.ShouldBe(3);
    }

    [Fact]
    public void The_next_start_waits_for_enough_old_starts_to_leave_when_the_rate_dropped()
    {
        // Four starts in the minute and a rate of 2 (no ramp): two must leave before one more may start.
        var starts = new[] { T0, T0.AddSeconds(10), T0.AddSeconds(20), T0.AddSeconds(30) };
        StartPacing.Allow(new PacingPolicy(2), starts, 0, T0.AddSeconds(40)).NextAt.ShouldBe(T0.AddSeconds(80));
    }

    [Fact]
    public void Successes_raise_the_allowance_at_once()
    {
        var policy = new PacingPolicy(2) { Ramp = new PacingRamp(3, 5) };
        var starts = new[] { T0, T0.AddSeconds(1) };
        StartPacing.Allow(policy, starts, 4, T0.AddSeconds(2)).Available.ShouldBe(0);
        StartPacing.Allow(policy, starts, 5, T0.AddSeconds(2)).ShouldBe(new PacingAllowance(4, 6, T0.AddSeconds(60)));
    }

    [Fact]
    public void Without_pacing_nothing_is_limited()
    {
        StartPacing.Allow(null, [T0], 0, T0).ShouldBe(PacingAllowance.Unlimited);
    }
}
