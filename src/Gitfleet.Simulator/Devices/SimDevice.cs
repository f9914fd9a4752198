using Gitfleet.Simulator.Behaviour;

namespace Gitfleet.Simulator.Devices;

/// <summary>
/// One simulated device's mutable state, kept small (about a hundred bytes plus its token) so 100,000 fit easily.
/// Only the scheduler runs a device, and never two steps of one device at once.
/// </summary>
internal sealed class SimDevice(int index, InstalledState installed, SimulatedDeviceDefinition? definition)
{
    public int Index { get; } = index;

    /// <summary>Null for generated devices (identity computed from the index).</summary>
    public SimulatedDeviceDefinition? Definition { get; } = definition;

    public InstalledState Installed { get; set; } = installed;

    public SimulatedDeviceState State { get; set; } = SimulatedDeviceState.Starting;

    /// <summary>The device JWT; null until authenticated and after a reboot (the client does not persist it).</summary>
    public string? Token { get; set; }

    /// <summary>The server's id for this device (the token's subject).</summary>
    public Guid DeviceId { get; set; }

    public bool Preauthorized { get; set; }

    /// <summary>The configuration last reported through deviceconfig (reference comparison with the installed one).</summary>
    public IReadOnlyDictionary<string, string>? ReportedConfiguration { get; set; }

    /// <summary>When the device last booted (uptime in the inventory).</summary>
    public long BootTicks { get; set; }

    public long NextPollTicks { get; set; }

    public long NextInventoryTicks { get; set; }

    /// <summary>Counters that key the device's random draws (see <see cref="Faults.DeviceRandom"/>).</summary>
    public long Requests { get; set; }

    public long Polls { get; set; }

    public long Installs { get; set; }

    /// <summary>Set when a slow request was deferred: the next attempt goes out without a new network draw.</summary>
    public bool NetworkFaultSpent { get; set; }

    /// <summary>The deployment in progress, or null.</summary>
    public DeploymentRun? Deployment { get; set; }

    /// <summary>Scheduler bookkeeping: the generation of the device's one valid queue entry, and whether a step runs.</summary>
    public int Generation { get; set; }

    public bool Running { get; set; }

    /// <summary>An earlier wake-up asked for while the device was running (UTC ticks; MaxValue: none).</summary>
    public long WakeRequest { get; set; } = long.MaxValue;

    public bool Stopped { get; set; }
}
