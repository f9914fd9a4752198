using Gitfleet.Core.Facts;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>Storage records in the form the core's rollout steps take them (the edge between Gitfleet.Storage and Gitfleet.Core.Rollouts).</summary>
internal static class RolloutStorageMapping
{
    public static FailedPart ToFailedPart(this DevicePartOutcome part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new FailedPart(
            part.Kind == DeploymentKinds.Configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
            part.ArtifactName,
            part.Status == DeviceDeploymentStatus.NoArtifact);
    }

    public static List<DeviceLogLine>? ToLogLines(this IReadOnlyList<DeploymentLogMessage>? log) =>
        log?.Select(m => new DeviceLogLine(m.Level, m.Message)).ToList();
}
