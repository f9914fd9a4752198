using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator;

/// <summary>One simulated device as the demo shows it (read while the device runs: a consistent-enough snapshot).</summary>
public sealed record SimulatedDeviceView
{
    public required int Index { get; init; }

    public required IReadOnlyDictionary<string, string> Identity { get; init; }

    public required string DeviceType { get; init; }

    /// <summary>The server's id (the token's subject); null until the device was first authorized.</summary>
    public Guid? DeviceId { get; init; }

    public required SimulatedDeviceState State { get; init; }

    public required string ArtifactName { get; init; }

    /// <summary>rootfs-image.version, or the provisioned image.</summary>
    public required string RunningImage { get; init; }

    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string>? Configuration { get; init; }

    public string? ConfigurationChecksum { get; init; }

    /// <summary>The deployment in progress, if any.</summary>
    public string? DeploymentId { get; init; }
}
