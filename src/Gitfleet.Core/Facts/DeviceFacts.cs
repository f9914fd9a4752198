namespace Gitfleet.Core.Facts;

/// <summary>
/// What the server knows about one device: the observed state the planner compares with the desired state.
/// Produced by the server (bulk facts endpoint), by a Mender management API, or read from a facts file.
/// </summary>
/// <remarks>Collections are never null: JSON that omits them (or sends null) reads as empty.</remarks>
public sealed record DeviceFacts
{
    /// <summary>The server's device id (a UUID for Mender and Gitfleet).</summary>
    public required string Id { get; init; }

    /// <summary>Authorization status: accepted, pending, rejected, preauthorized, noauth.</summary>
    public string Status { get => field; init => field = value ?? DeviceStatus.Accepted; } = DeviceStatus.Accepted;

    public string? DeviceType { get; init; }

    /// <summary>The name of the last artifact the device installed (Mender's <c>artifact_name</c>).</summary>
    public string? ArtifactName { get; init; }

    /// <summary>
    /// The OS image the device runs: the <c>rootfs-image.version</c> it provides, else its artifact name.
    /// Configuration deployments change <c>artifact_name</c> but never <c>rootfs-image.version</c>, so the
    /// planner compares images through this, not through <see cref="ArtifactName"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? InstalledImage =>
        Attributes.TryGetValue(RootfsImageVersionAttribute, out var version) && version.Length > 0 ? version : ArtifactName;

    public const string RootfsImageVersionAttribute = "rootfs-image.version";

    /// <summary>Identity attributes the device authenticated with (for example mac, serial).</summary>
    public IReadOnlyDictionary<string, string> Identity { get => field; init => field = value ?? EmptyMap; } = EmptyMap;

    /// <summary>Server-side tags; a <c>subscribed_branch</c> tag overrides the branch declared in git.</summary>
    public IReadOnlyDictionary<string, string> Tags { get => field; init => field = value ?? EmptyMap; } = EmptyMap;

    /// <summary>Inventory attributes the device reports (multi-valued attributes joined with ',').</summary>
    public IReadOnlyDictionary<string, string> Attributes { get => field; init => field = value ?? EmptyMap; } = EmptyMap;

    /// <summary>The configuration the device last reported as applied; null when it never reported one.</summary>
    public IReadOnlyDictionary<string, string>? ReportedConfiguration { get; init; }

    /// <summary>
    /// The checksum (<see cref="ConfigurationChecksum"/>) of the real reported configuration, set when the server
    /// redacted secret values in <see cref="ReportedConfiguration"/> (they read ***), so a planner holding the secrets
    /// can still tell whether the device runs them (<see cref="RedactedConfiguration"/>).
    /// </summary>
    public string? ReportedConfigurationChecksum { get; init; }

    /// <summary>The configuration the server holds as desired for the device (deviceconfig "configured").</summary>
    public IReadOnlyDictionary<string, string>? ConfiguredConfiguration { get; init; }

    public DateTimeOffset? LastCheckIn { get; init; }

    /// <summary>Deployments scheduled for this device that have not finished.</summary>
    public IReadOnlyList<InFlightDeployment> InFlight { get => field; init => field = value ?? []; } = [];

    public static readonly IReadOnlyDictionary<string, string> EmptyMap =
        new Dictionary<string, string>(StringComparer.Ordinal);
}

public static class DeviceStatus
{
    public const string Accepted = "accepted";
    public const string Pending = "pending";
    public const string Rejected = "rejected";
    public const string Preauthorized = "preauthorized";
    public const string NoAuth = "noauth";
}
