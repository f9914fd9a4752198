using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Rollouts;

/// <summary>How a device's part of a deployment ended, as the rollout reads it.</summary>
public enum PartResult
{
    /// <summary>Not finished, aborted or decommissioned: anything that is neither a success nor a failure.</summary>
    Other,

    Success,

    AlreadyInstalled,

    Failure,

    /// <summary>The server had no artifact for the device's type.</summary>
    NoArtifact,
}

/// <summary>How one device's part of a deployment ended (or stands), with the deployment's kind and artifact name.</summary>
public sealed record PartOutcome(string DeploymentId, string DeviceId, string DeviceDeploymentId, PartResult Result, DeploymentKind Kind, string ArtifactName)
{
    public DevicePart Part => new(DeploymentId, DeviceId);

    /// <summary>The failed part as <see cref="FailureReason.Describe"/> reads it.</summary>
    public FailedPart ToFailedPart() => new(Kind, ArtifactName, Result == PartResult.NoArtifact);
}

/// <summary>An artifact of an image that a deployment can deliver, with the device types it is built for.</summary>
public sealed record ImageArtifact(string Id, IReadOnlyList<string> DeviceTypes);
