using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>The phases of an update a device reports (Mender's deployment statuses), as timeouts see them.</summary>
public enum UpdatePhase
{
    /// <summary>Offered or waiting to be picked up; not timed (an offline device is the offline timeout's business).</summary>
    Pending,

    Downloading,

    Installing,

    Rebooting,

    /// <summary>Paused by the update control map (pause_before_installing ...): the server holds it, so it is not timed.</summary>
    Paused,
}

/// <summary>Whether a device stayed too long in one phase, and when it will have if it stays.</summary>
public readonly record struct PhaseTimeoutVerdict(bool TimedOut, DateTimeOffset? Deadline, UpdatePhase Phase)
{
    public string Describe(TimeSpan limit) =>
        $"timed out: {PhaseTimeout.Name(Phase)} for longer than {DurationText.Format(limit)}";
}

/// <summary>Per-phase timeouts as a pure rule (<c>timeouts.downloading/installing/rebooting</c>).</summary>
public static class PhaseTimeout
{
    /// <summary>The phase a Mender deployment status stands for.</summary>
    public static UpdatePhase Of(string? status) => status switch
    {
        "downloading" => UpdatePhase.Downloading,
        "installing" => UpdatePhase.Installing,
        "rebooting" => UpdatePhase.Rebooting,
        "pause_before_installing" or "pause_before_committing" or "pause_before_rebooting" => UpdatePhase.Paused,
        _ => UpdatePhase.Pending,
    };

    public static TimeSpan? Limit(PhaseTimeouts timeouts, UpdatePhase phase)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        return phase switch
        {
            UpdatePhase.Downloading => timeouts.Downloading,
            UpdatePhase.Installing => timeouts.Installing,
            UpdatePhase.Rebooting => timeouts.Rebooting,
            _ => null,
        };
    }

    /// <param name="status">The device's status in its deployment.</param>
    /// <param name="since">When it reported that status (entered the phase).</param>
    public static PhaseTimeoutVerdict Check(PhaseTimeouts timeouts, string? status, DateTimeOffset since, DateTimeOffset now) =>
        Check(timeouts, Of(status), since, now);

    public static PhaseTimeoutVerdict Check(PhaseTimeouts timeouts, UpdatePhase phase, DateTimeOffset since, DateTimeOffset now)
    {
        if (Limit(timeouts, phase) is not { } limit)
        {
            return new PhaseTimeoutVerdict(false, null, phase);
        }

        var deadline = since + limit;
        return new PhaseTimeoutVerdict(now >= deadline, deadline, phase);
    }

    public static string Name(UpdatePhase phase) => phase switch
    {
        UpdatePhase.Downloading => "downloading",
        UpdatePhase.Installing => "installing",
        UpdatePhase.Rebooting => "rebooting",
        UpdatePhase.Paused => "paused",
        _ => "pending",
    };
}
