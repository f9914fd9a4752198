using System.Globalization;

namespace Gitfleet.Fuzz.Tests;

/// <summary>
/// How long each property runs: a few seconds in CI (the whole suite well under two minutes), more when
/// GITFLEET_FUZZ_SECONDS says so (a longer local run). A failure prints CsCheck's seed; GITFLEET_FUZZ_SEED replays it.
/// </summary>
internal static class FuzzTime
{
    public static int Seconds(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("GITFLEET_FUZZ_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? seconds
            : ci;

    public static string? Seed => Environment.GetEnvironmentVariable("GITFLEET_FUZZ_SEED") is { Length: > 0 } seed ? seed : null;

    /// <summary>The checkout's samples/fleet (the files mutated by the fuzzers).</summary>
    public static string SampleFleet
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "samples", "fleet");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("samples/fleet not found above " + AppContext.BaseDirectory);
        }
    }
}
