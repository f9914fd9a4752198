using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Delivery;

/// <summary>Where a rollout device's download stands.</summary>
public enum DownloadProgress
{
    /// <summary>Still to download: waiting for its wave, offered, downloading, or failed with a retry left.</summary>
    ToMove,

    /// <summary>Downloaded: it installs, reboots, is held before installing, or succeeded.</summary>
    Moved,

    /// <summary>Downloads no more: aborted, or failed past its retries.</summary>
    Stopped,
}

/// <summary>A running rollout's device that downloads an OS image: its wave (0-based) and how far its download is.</summary>
public sealed record RolloutTransferDevice(TransferDevice Device, int Wave, DownloadProgress Progress);

/// <summary>
/// The bytes a running rollout moves over the air, per wave and per (from, to, device type, method) as
/// <c>plan</c> shows them (<see cref="TransferEstimator"/>'s grouping and prices), with how many of each group's
/// devices downloaded already and how many still will. Bytes are estimates (a device's price from the catalog),
/// not counted bytes. Pure: the server passes each device's wave (<see cref="RolloutWaves.Assign"/>) and state.
/// </summary>
public static class RolloutTransfer
{
    public static TransferEstimate Estimate(IReadOnlyList<RolloutTransferDevice> devices, TransferCosts costs)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(costs);
        return TransferEstimator.Group(devices.Select(d => (d.Wave, d.Device, (DownloadProgress?)d.Progress)).ToList(), costs);
    }

    /// <summary>How far a rollout device's download is, from its rollout state and the phase it reports.</summary>
    /// <param name="retryLeft">A failed device will be tried again (its attempts are within the policy's retries).</param>
    public static DownloadProgress ProgressOf(RolloutDeviceState state, UpdatePhase phase, bool retryLeft) => state switch
    {
        RolloutDeviceState.Succeeded => DownloadProgress.Moved,
        RolloutDeviceState.Scheduled => phase is UpdatePhase.Installing or UpdatePhase.Rebooting or UpdatePhase.Paused
            ? DownloadProgress.Moved : DownloadProgress.ToMove,
        RolloutDeviceState.Failed => retryLeft ? DownloadProgress.ToMove : DownloadProgress.Stopped,
        RolloutDeviceState.Aborted => DownloadProgress.Stopped,
        _ => DownloadProgress.ToMove,
    };
}
