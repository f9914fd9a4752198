namespace Gitfleet.Simulator.Devices;

/// <summary>What a simulated device is doing, as counted in <see cref="Statistics.SimulatorStatistics.DevicesByState"/>.</summary>
public enum SimulatedDeviceState
{
    /// <summary>Not started yet (waiting for its place in the start ramp), or authenticating.</summary>
    Starting,

    /// <summary>Sent an auth request and got 401: waiting to be accepted.</summary>
    PendingAuthorization,

    /// <summary>Polling for updates.</summary>
    Idle,

    /// <summary>Powered off or out of reach for a while (an injected fault).</summary>
    Offline,

    Downloading,

    Installing,

    Rebooting,

    Stopped,
}
