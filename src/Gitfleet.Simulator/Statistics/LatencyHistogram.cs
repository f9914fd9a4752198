using System.Numerics;

namespace Gitfleet.Simulator.Statistics;

/// <summary>
/// A lock-free latency histogram in microseconds: buckets by power of two with 8 linear sub-buckets each (at most
/// 12.5 % error), 1 µs to about 19 hours. Recording is one Interlocked increment; percentiles come from snapshots,
/// and the difference of two snapshots gives the percentiles of a window.
/// </summary>
public sealed class LatencyHistogram
{
    internal const int SubBuckets = 8;
    internal const int Buckets = 37 * SubBuckets;
    private readonly long[] counts = new long[Buckets];

    public void Record(TimeSpan elapsed) => RecordMicroseconds((long)elapsed.TotalMicroseconds);

    public void RecordMicroseconds(long microseconds)
    {
        Interlocked.Increment(ref counts[BucketOf(microseconds)]);
    }

    public LatencySnapshot Snapshot()
    {
        var copy = new long[Buckets];
        for (var i = 0; i < Buckets; i++)
        {
            copy[i] = Interlocked.Read(ref counts[i]);
        }

        return new LatencySnapshot(copy);
    }

    internal static int BucketOf(long microseconds)
    {
        if (microseconds < SubBuckets)
        {
            return (int)Math.Max(0, microseconds);
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)microseconds);
        var sub = (int)((microseconds >> (exponent - 3)) & (SubBuckets - 1));
        return Math.Min(Buckets - 1, ((exponent - 2) * SubBuckets) + sub);
    }

    /// <summary>The largest value that falls into <paramref name="bucket"/>.</summary>
    internal static long UpperBound(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return bucket;
        }

        var exponent = (bucket / SubBuckets) + 2;
        var sub = bucket % SubBuckets;
        return ((SubBuckets + sub + 1L) << (exponent - 3)) - 1;
    }
}

/// <summary>Counts per bucket at one moment.</summary>
public sealed class LatencySnapshot
{
    private readonly long[] counts;

    internal LatencySnapshot(long[] counts)
    {
        this.counts = counts;
        Count = counts.Sum();
    }

    public static LatencySnapshot Empty { get; } = new(new long[LatencyHistogram.Buckets]);

    public long Count { get; }

    /// <summary>What was recorded between <paramref name="earlier"/> and this snapshot.</summary>
    public LatencySnapshot Since(LatencySnapshot earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var difference = new long[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            difference[i] = counts[i] - earlier.counts[i];
        }

        return new LatencySnapshot(difference);
    }

    /// <summary>The value below which <paramref name="percent"/> % of the recordings fall (bucket upper bound); zero when empty.</summary>
    public TimeSpan Percentile(double percent)
    {
        if (Count == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (long)Math.Ceiling(Count * percent / 100.0);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= Math.Max(1, rank))
            {
                return TimeSpan.FromMicroseconds(LatencyHistogram.UpperBound(i));
            }
        }

        return TimeSpan.FromMicroseconds(LatencyHistogram.UpperBound(counts.Length - 1));
    }
}
