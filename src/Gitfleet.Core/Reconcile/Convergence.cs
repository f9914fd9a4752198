using System.Text.Json.Serialization;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Reconcile;

/// <summary>How one device of a stage stands against the stage's target.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConvergenceState>))]
public enum ConvergenceState
{
    /// <summary>Runs the desired image and reports the desired configuration.</summary>
    [JsonStringEnumMemberName("converged")]
    Converged,

    /// <summary>Needs a change that is not scheduled yet (its wave has not come, or it waits).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>The change is scheduled and the device is working on it.</summary>
    [JsonStringEnumMemberName("in_progress")]
    InProgress,

    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Not converged and silent longer than the offline timeout.</summary>
    [JsonStringEnumMemberName("offline")]
    Offline,

    /// <summary>Converged once for this target, then drifted (Rancher Fleet's Modified).</summary>
    [JsonStringEnumMemberName("modified")]
    Modified,
}

/// <summary>Classifies a device: the same rules for `gitfleet status`, the gate and the drift correction.</summary>
public static class Convergence
{
    public static ConvergenceState Classify(
        DeviceFacts facts,
        OsAction os,
        ConfigAction configuration,
        RolloutDeviceState? rolloutState,
        DateTimeOffset now,
        TimeSpan offlineTimeout)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(os);
        ArgumentNullException.ThrowIfNull(configuration);
        var needsChange = os.Kind is ActionKind.Update or ActionKind.InFlight || configuration.Kind is ActionKind.Update or ActionKind.InFlight;
        if (!needsChange)
        {
            return ConvergenceState.Converged;
        }

        if (rolloutState == RolloutDeviceState.Failed)
        {
            return ConvergenceState.Failed;
        }

        var inFlight = os.Kind == ActionKind.InFlight || configuration.Kind == ActionKind.InFlight;
        if (!inFlight && rolloutState == RolloutDeviceState.Succeeded)
        {
            return ConvergenceState.Modified;
        }

        if (RolloutRules.IsOffline(facts.LastCheckIn, now, offlineTimeout))
        {
            return ConvergenceState.Offline;
        }

        return inFlight || rolloutState == RolloutDeviceState.Scheduled ? ConvergenceState.InProgress : ConvergenceState.Pending;
    }
}
