using System.Diagnostics;

namespace Gitfleet.Bench.Load;

/// <summary>An open-loop schedule: request k (0-based) is due at start + k / rate, in Stopwatch ticks.</summary>
internal sealed class PacedSchedule(double perSecond, long startTimestamp)
{
    private readonly double ticksPerRequest = perSecond > 0 ? Stopwatch.Frequency / perSecond : throw new ArgumentException("--rate must be above 0");

    public long Due(long index) => startTimestamp + (long)(index * ticksPerRequest);
}
