namespace Gitfleet.Simulator.Faults;

/// <summary>
/// Counter-based randomness: every draw is a pure function of (seed, device index, decision, counter), so a
/// device's decisions do not depend on how its requests interleave with those of other devices, and the same seed
/// gives the same decisions on every run. The mixing is SplitMix64's finalizer.
/// </summary>
public static class DeviceRandom
{
    public static ulong Next(long seed, int device, Decision decision, long counter)
    {
        var x = Mix(unchecked((ulong)seed) ^ 0x6A09E667F3BCC909UL);
        x = Mix(x ^ unchecked((uint)device));
        x = Mix(x ^ ((ulong)decision << 40));
        return Mix(x ^ unchecked((ulong)counter));
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public static double Uniform(long seed, int device, Decision decision, long counter) =>
        (Next(seed, device, decision, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public static bool Chance(double probability, long seed, int device, Decision decision, long counter) =>
        probability > 0 && (probability >= 1 || Uniform(seed, device, decision, counter) < probability);

    /// <summary>A duration between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static TimeSpan Between(TimeSpan min, TimeSpan max, long seed, int device, Decision decision, long counter) =>
        max <= min ? min : min + ((max - min) * Uniform(seed, device, decision, counter));

    /// <summary><paramref name="value"/> spread by ±<paramref name="fraction"/> (0.05: ±5 %).</summary>
    public static TimeSpan Jitter(TimeSpan value, double fraction, long seed, int device, Decision decision, long counter) =>
        fraction <= 0 ? value : value * (1 + (fraction * ((2 * Uniform(seed, device, decision, counter)) - 1)));

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}

/// <summary>What a draw decides; each has its own stream so adding a draw of one kind never shifts another.</summary>
public enum Decision
{
    Boot = 1,
    PollJitter,
    InventoryJitter,
    Offline,
    OfflineDuration,
    Network,
    NetworkKind,
    SlowDelay,
    DropPoint,
    InstallFailure,
    InstallDuration,
    RebootDuration,
    RetryJitter,
    ImageRule,
    DownloadDrop,
    DeltaSupport,
}
