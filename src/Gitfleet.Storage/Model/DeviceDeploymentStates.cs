namespace Gitfleet.Storage.Model;

/// <summary>What a device deployment status means: whether it ends the device's part, whether a device may report it.</summary>
public static class DeviceDeploymentStates
{
    /// <summary>Every status, in Mender's order (the order of the statistics object).</summary>
    public static IReadOnlyList<DeviceDeploymentState> All { get; } = Enum.GetValues<DeviceDeploymentState>();

    /// <summary>The statuses that leave the device's part unfinished (the device will be offered or is installing it).</summary>
    public static IReadOnlyList<DeviceDeploymentState> Unfinished { get; } = [.. All.Where(status => !status.IsFinished())];

    /// <summary>The statuses a device may report (the others are set by the server), in Mender's order.</summary>
    public static IReadOnlyList<DeviceDeploymentState> Reportable { get; } = [.. All.Where(status => status.IsReportable())];

    public static bool IsFinished(this DeviceDeploymentState status) => status is DeviceDeploymentState.Success or DeviceDeploymentState.Failure
        or DeviceDeploymentState.AlreadyInstalled or DeviceDeploymentState.NoArtifact or DeviceDeploymentState.Aborted or DeviceDeploymentState.Decommissioned;

    public static bool IsReportable(this DeviceDeploymentState status) => status is DeviceDeploymentState.Downloading or DeviceDeploymentState.Installing
        or DeviceDeploymentState.Rebooting or DeviceDeploymentState.PauseBeforeInstalling or DeviceDeploymentState.PauseBeforeCommitting
        or DeviceDeploymentState.PauseBeforeRebooting or DeviceDeploymentState.Success or DeviceDeploymentState.Failure or DeviceDeploymentState.AlreadyInstalled;
}
