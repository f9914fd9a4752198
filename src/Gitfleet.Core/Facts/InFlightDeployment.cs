using System.Text.Json.Serialization;

namespace Gitfleet.Core.Facts;

[JsonConverter(typeof(JsonStringEnumConverter<DeploymentKind>))]
public enum DeploymentKind
{
    /// <summary>An OS image (a regular Mender artifact).</summary>
    [JsonStringEnumMemberName("os")]
    Os,

    /// <summary>A configuration deployment (deviceconfig).</summary>
    [JsonStringEnumMemberName("configuration")]
    Configuration,
}

/// <summary>
/// A deployment that reached a device's queue and has not finished. The planner treats a change that is
/// already in flight as scheduled (idempotency), and supersedes one that targets something else.
/// </summary>
public sealed record InFlightDeployment
{
    public required string DeploymentId { get; init; }

    public required DeploymentKind Kind { get; init; }

    /// <summary>For OS deployments, the artifact being installed.</summary>
    public string? ArtifactName { get; init; }

    /// <summary>For configuration deployments, a checksum of the configuration being applied.</summary>
    public string? ConfigurationChecksum { get; init; }

    /// <summary>The device's status in that deployment: pending, downloading, installing, rebooting, ...</summary>
    public string Status { get; init; } = "pending";

    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>The commit that scheduled it, when it was scheduled by Gitfleet.</summary>
    public string? Commit { get; init; }
}
