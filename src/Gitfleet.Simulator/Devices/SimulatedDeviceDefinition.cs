namespace Gitfleet.Simulator.Devices;

/// <summary>
/// A device the caller names explicitly (the demo's sample devices): its identity, device type and the image it was
/// provisioned with. Generated devices (<see cref="SimulatorOptions.Devices"/>) need none of this.
/// </summary>
public sealed record SimulatedDeviceDefinition
{
    public required IReadOnlyDictionary<string, string> Identity { get; init; }

    public required string DeviceType { get; init; }

    /// <summary>The image in /etc/mender/artifact_info (artifact_name and rootfs-image.version).</summary>
    public required string InitialImage { get; init; }

    /// <summary>A configuration applied before the simulation starts (null: never configured).</summary>
    public IReadOnlyDictionary<string, string>? InitialConfiguration { get; init; }
}
