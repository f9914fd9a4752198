namespace Gitfleet.Simulator.Faults;

/// <summary>
/// The faults a simulation injects. Immutable: <see cref="FleetSimulator.SetFaults"/> swaps the whole set at once,
/// so "stop the faults" is one call and every device sees either the old or the new set.
/// </summary>
public sealed record FaultSettings
{
    public static FaultSettings None { get; } = new();

    /// <summary>Probability that an install fails (OS and configuration deployments), drawn per install.</summary>
    public double InstallFailureRate { get; init; }

    /// <summary>Probability, drawn at each update check, that the device goes offline (powered off) for a while.</summary>
    public double OfflineRate { get; init; }

    public TimeSpan OfflineMin { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan OfflineMax { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Probability that a request meets a bad network: the connection drops before the answer, the answer is lost
    /// after the server handled the request, or the request is slow. A dropped download stops part way and resumes
    /// with HTTP Range.
    /// </summary>
    public double FlakyNetworkRate { get; init; }

    /// <summary>
    /// Probability that an artifact download attempt loses its connection part way (on top of the flaky network);
    /// the client resumes it with HTTP Range after the retry interval.
    /// </summary>
    public double DownloadDropRate { get; init; }

    public TimeSpan SlowMin { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan SlowMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Images that fail on given devices (first matching rule wins), e.g. "a health check that fails on canary".</summary>
    public IReadOnlyList<ImageFailureRule> ImageFailures { get; init; } = [];

    public bool Any => InstallFailureRate > 0 || OfflineRate > 0 || FlakyNetworkRate > 0 || DownloadDropRate > 0 || ImageFailures.Count > 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Probability(InstallFailureRate, "failure rate");
        Probability(OfflineRate, "offline rate");
        Probability(FlakyNetworkRate, "flaky network rate");
        Probability(DownloadDropRate, "download drop rate");
        if (OfflineMin < TimeSpan.Zero || OfflineMax < OfflineMin)
        {
            throw new ArgumentException("the offline duration needs 0 <= min <= max");
        }

        if (SlowMin < TimeSpan.Zero || SlowMax < SlowMin)
        {
            throw new ArgumentException("the slow-request delay needs 0 <= min <= max");
        }
    }

    internal static void Probability(double value, string name)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
        {
            throw new ArgumentException($"the {name} must be between 0 and 1, not {value}");
        }
    }
}
