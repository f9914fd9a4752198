using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Rollouts;

/// <summary>The part of a device's deployment that failed, as <see cref="FailureReason.Describe"/> needs it.</summary>
/// <param name="Kind">OS image or configuration.</param>
/// <param name="ArtifactName">The artifact the part delivered.</param>
/// <param name="NoArtifact">The server had no artifact for the device's type (status "noartifact").</param>
public sealed record FailedPart(DeploymentKind Kind, string ArtifactName, bool NoArtifact);
