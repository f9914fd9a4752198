namespace Gitfleet.Simulator.Statistics;

/// <summary>Events per second over the last few whole seconds: a ring of per-second counters, lock-free.</summary>
public sealed class RateMeter
{
    private const int Slots = 64;
    private readonly long[] seconds = new long[Slots];
    private readonly long[] counts = new long[Slots];

    public void Mark(long unixSecond)
    {
        var slot = (int)(unixSecond & (Slots - 1));
        if (Volatile.Read(ref seconds[slot]) != unixSecond)
        {
            lock (seconds)
            {
                if (seconds[slot] != unixSecond)
                {
                    Volatile.Write(ref counts[slot], 0);
                    Volatile.Write(ref seconds[slot], unixSecond);
                }
            }
        }

        Interlocked.Increment(ref counts[slot]);
    }

    /// <summary>The mean rate over the <paramref name="window"/> whole seconds before <paramref name="unixSecond"/>.</summary>
    public double PerSecond(long unixSecond, int window = 5)
    {
        window = Math.Clamp(window, 1, Slots - 2);
        long total = 0;
        for (var s = unixSecond - window; s < unixSecond; s++)
        {
            var slot = (int)(s & (Slots - 1));
            if (Volatile.Read(ref seconds[slot]) == s)
            {
                total += Volatile.Read(ref counts[slot]);
            }
        }

        return total / (double)window;
    }
}
