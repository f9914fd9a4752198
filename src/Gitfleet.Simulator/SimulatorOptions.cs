using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;

namespace Gitfleet.Simulator;

/// <summary>Everything a simulation needs. Defaults suit a demo; the CLI (<c>gitfleet simulate</c>) maps its flags here.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The device types of the sample fleet; generated devices take them in turn.</summary>
    public static IReadOnlyList<string> DefaultDeviceTypes { get; } =
        ["pi4-v3-arm64", "pi3-arm64", "iot-gate-imx8-arm64", "var-som-mx8m-nano-arm64-v2", "pi2-armhf"];

    /// <summary>The server's base URL, e.g. https://127.0.0.1:8443.</summary>
    public required Uri Server { get; init; }

    /// <summary>How many devices to generate (after <see cref="DefinedDevices"/>).</summary>
    public int Devices { get; init; } = 100;

    /// <summary>Devices with a given identity, type and image (the demo's sample devices); they take indexes 0, 1, ...</summary>
    public IReadOnlyList<SimulatedDeviceDefinition> DefinedDevices { get; init; } = [];

    /// <summary>Device types of generated devices: device i gets DeviceTypes[i % count].</summary>
    public IReadOnlyList<string> DeviceTypes { get; init; } = DefaultDeviceTypes;

    /// <summary>
    /// The image each device type starts with (artifact_name and rootfs-image.version); default "TYPE-factory". A
    /// comma-separated list spreads the type's devices over several images in turn (a fleet on different releases).
    /// </summary>
    public IReadOnlyDictionary<string, string> InitialImages { get; init; } = new Dictionary<string, string>();

    /// <summary>The share of generated devices with the gitfleet-delta module (they report gitfleet_delta_formats=xdelta3).</summary>
    public double DeltaSupport { get; init; }

    /// <summary>Generated identities are mac + serial "PREFIX-000042"; change it to run a second, distinct fleet.</summary>
    public string IdentityPrefix { get; init; } = "sim";

    /// <summary>Extra inventory attributes every device of this simulation reports (say site or ring, set at provisioning), for dynamic groups.</summary>
    public IReadOnlyDictionary<string, string> InventoryAttributes { get; init; } = new Dictionary<string, string>();

    /// <summary>Seeds every random decision (jitter, faults); the same seed gives the same decisions.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>UpdatePollIntervalSeconds of the Mender client (its default is 30 minutes).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>InventoryPollIntervalSeconds (the client's default is 8 hours); inventory is also sent after every deployment.</summary>
    public TimeSpan InventoryInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>RetryPollIntervalSeconds: wait after a failed request, while pending authorization, before resuming a download.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Devices start spread over this time; null: min(poll interval, devices / 1000 s).</summary>
    public TimeSpan? StartRamp { get; init; }

    /// <summary>Poll and inventory intervals vary by ± this fraction (0.05: ±5 %).</summary>
    public double Jitter { get; init; } = 0.05;

    /// <summary>How long the update module installs an OS image, and a configuration (±20 %).</summary>
    public TimeSpan InstallTime { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConfigurationApplyTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a device reboots into a new OS image (±20 %); it makes no requests meanwhile.</summary>
    public TimeSpan RebootTime { get; init; } = TimeSpan.FromSeconds(20);

    public FaultSettings Faults { get; init; } = FaultSettings.None;

    /// <summary>The PEM certificate (or CA) to trust; null: the system's trust store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Skip TLS verification (test servers only).</summary>
    public bool Insecure { get; init; }

    /// <summary>A management token: devices are preauthorized with it, and pending ones of this fleet accepted.</summary>
    public string? ManagementToken { get; init; }

    /// <summary>Connections to the server, shared by all devices (HTTP/1.1 keep-alive).</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Device steps running at once; more due devices wait (visible as scheduler lag).</summary>
    public int MaxConcurrentSteps { get; init; } = 512;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int TotalDevices => DefinedDevices.Count + Devices;

    public string InitialImage(string deviceType) => InitialImage(deviceType, 0);

    /// <summary>The image the <paramref name="index"/>-th generated device of <paramref name="deviceType"/> starts with.</summary>
    public string InitialImage(string deviceType, int index)
    {
        if (InitialImages.GetValueOrDefault(deviceType) is not { } images)
        {
            return deviceType + "-factory";
        }

        var choices = images.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return choices.Length == 0 ? deviceType + "-factory" : choices[index % choices.Length];
    }

    /// <summary>Whether generated device <paramref name="index"/> applies deltas (a stable draw from the seed).</summary>
    public bool AppliesDeltas(int index) => DeviceRandom.Chance(DeltaSupport, Seed, index, Decision.DeltaSupport, 0);

    public TimeSpan EffectiveStartRamp => StartRamp ?? TimeSpan.FromSeconds(Math.Min(PollInterval.TotalSeconds, TotalDevices / 1000.0));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!Server.IsAbsoluteUri || Server.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"the server URL must be http:// or https://, not '{Server}'");
        }

        if (Devices < 0 || TotalDevices == 0 || TotalDevices > 10_000_000)
        {
            throw new ArgumentException("simulate between 1 and 10,000,000 devices");
        }

        if (DeviceTypes.Count == 0 || DeviceTypes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("give at least one device type, none empty");
        }

        if (string.IsNullOrWhiteSpace(IdentityPrefix))
        {
            throw new ArgumentException("the identity prefix must not be empty");
        }

        foreach (var (name, value) in new[] { ("poll interval", PollInterval), ("inventory interval", InventoryInterval), ("retry interval", RetryInterval) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"the {name} must be positive");
            }
        }

        if (InstallTime < TimeSpan.Zero || RebootTime < TimeSpan.Zero || ConfigurationApplyTime < TimeSpan.Zero || StartRamp < TimeSpan.Zero)
        {
            throw new ArgumentException("install, reboot, apply and ramp times must not be negative");
        }

        FaultSettings.Probability(Jitter, "jitter");
        FaultSettings.Probability(DeltaSupport, "delta support");
        if (MaxConnections < 1 || MaxConcurrentSteps < 1)
        {
            throw new ArgumentException("connections and concurrent steps must be at least 1");
        }

        if (Insecure && CaCertificatePath is not null)
        {
            throw new ArgumentException("give either a CA certificate or insecure, not both");
        }

        Faults.Validate();
    }
}
