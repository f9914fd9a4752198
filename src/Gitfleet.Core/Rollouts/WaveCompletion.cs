using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// <c>completeAt</c> as a pure rule: a wave is complete when this share of its devices is done (succeeded, failed
/// for good, or offline); the devices still in progress then are stragglers, followed in the background.
/// </summary>
public static class WaveCompletion
{
    /// <summary>How many of <paramref name="waveSize"/> devices must be done (a percentage rounds up; at least one).</summary>
    public static int Required(int waveSize, Quantity completeAt)
    {
        if (waveSize <= 0)
        {
            return 0;
        }

        return Math.Clamp(completeAt.IsPercent ? (int)Math.Ceiling(waveSize * completeAt.Value / 100.0 - 1e-9) : (int)completeAt.Value, 1, waveSize);
    }

    public static bool IsComplete(int waveSize, int done, Quantity completeAt) => done >= Required(waveSize, completeAt);

    /// <summary>Devices of a complete wave that are not done yet.</summary>
    public static int Stragglers(int waveSize, int done) => Math.Max(0, waveSize - done);
}
