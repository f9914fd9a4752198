namespace Gitfleet.Core.Fleet;

/// <summary>
/// How long a device may stay in one phase of an update (as it reports it) before it counts as failed, timed
/// out, and follows the retry rules (AWS IoT Jobs' in-progress timeout, per phase). Null: no limit.
/// </summary>
public sealed record PhaseTimeouts
{
    public static readonly PhaseTimeouts None = new();

    public TimeSpan? Downloading { get; init; }

    public TimeSpan? Installing { get; init; }

    public TimeSpan? Rebooting { get; init; }

    public bool IsEmpty => Downloading is null && Installing is null && Rebooting is null;
}
