using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Tests.Statistics;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_an_eighth_of_the_true_value()
    {
        var histogram = new LatencyHistogram();
        for (var us = 1; us <= 100_000; us++)
        {
            histogram.RecordMicroseconds(us);
        }

        var snapshot = histogram.Snapshot();
        snapshot.Count.ShouldBe(100_000);
        foreach (var (percent, expected) in new[] { (50.0, 50_000.0), (90.0, 90_000.0), (99.0, 99_000.0) })
        {
            var value = snapshot.Percentile(percent).TotalMicroseconds;
            value.ShouldBeGreaterThanOrEqualTo(expected);
            value.ShouldBeLessThanOrEqualTo(expected * 1.126);
        }
    }

    [Fact]
    public void A_window_is_the_difference_of_two_snapshots()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.FromSeconds(2));
        var before = histogram.Snapshot();
        for (var i = 0; i < 100; i++)
        {
            histogram.Record(TimeSpan.FromMilliseconds(3));
        }

        var window = histogram.Snapshot().Since(before);
        window.Count.ShouldBe(100);
        window.Percentile(99).TotalMilliseconds.ShouldBeInRange(3, 3.4);
        LatencySnapshot.Empty.Percentile(50).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Rates_count_whole_seconds()
    {
        var meter = new RateMeter();
        for (var second = 100; second < 110; second++)
        {
            for (var i = 0; i < second - 90; i++)
            {
                meter.Mark(second);
            }
        }

        meter.PerSecond(110, window: 5).ShouldBe((15 + 16 + 17 + 18 + 19) / 5.0);
        meter.PerSecond(200).ShouldBe(0);
    }
}
