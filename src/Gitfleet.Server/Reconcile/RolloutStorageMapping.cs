using Gitfleet.Core.Facts;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>Storage records in the form the core's rollout steps take them, and their results as the store writes them (the edge between Gitfleet.Storage and Gitfleet.Core.Rollouts).</summary>
internal static class RolloutStorageMapping
{
    public static PartOutcome ToPartOutcome(this DevicePartOutcome part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new PartOutcome(
            part.DeploymentId,
            part.DeviceId,
            part.DeviceDeploymentId,
            part.Status switch
            {
                DeviceDeploymentState.Success => PartResult.Success,
                DeviceDeploymentState.AlreadyInstalled => PartResult.AlreadyInstalled,
                DeviceDeploymentState.Failure => PartResult.Failure,
                DeviceDeploymentState.NoArtifact => PartResult.NoArtifact,
                _ => PartResult.Other,
            },
            part.Kind == DeploymentKinds.Configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
            part.ArtifactName);
    }

    public static IReadOnlyList<DeviceLogLine> ToLogLines(this IReadOnlyList<DeploymentLogMessage> log) =>
        log.Select(m => new DeviceLogLine(m.Level, m.Message)).ToList();

    public static ImageArtifact ToImageArtifact(this ArtifactRecord artifact) => new(artifact.Id, artifact.DeviceTypes);

    /// <summary>Everything the decision changes, as the store writes it in one transaction; its deployments traced to the target's commit and pending.</summary>
    public static RolloutCommit ToCommit(this RolloutWork work, TargetIndex target, DateTimeOffset now)
    {
        var trace = new DeploymentTrace(target.Branch, target.Commit.Sha, target.Commit.Author, target.Commit.Subject);
        return new RolloutCommit
        {
            Branch = target.Branch,
            Generation = target.Generation,
            Progress = work.Progress,
            StartedAt = work.StartedAt,
            ReplaceDevices = work.Restarted,
            Devices = work.Written,
            Deployments = work.Deployments.Select(d => ToNewDeployment(d, trace, now)).ToList(),
            Configured = work.Configured,
            Aborts = [.. work.Aborts],
            Now = now,
        };
    }

    private static NewDeployment ToNewDeployment(PlannedDeployment planned, DeploymentTrace trace, DateTimeOffset now)
    {
        var deployment = new DeploymentRecord
        {
            Id = planned.Id,
            Name = planned.Name,
            ArtifactName = planned.ArtifactName,
            Kind = planned.Kind == DeploymentKind.Configuration ? DeploymentKinds.Configuration : DeploymentKinds.Os,
            Status = DeploymentState.Pending,
            CreatedAt = now,
            DeviceCount = planned.Devices.Count,
            Trace = trace,
            Configuration = planned.Configuration?.Values,
            ConfigurationChecksum = planned.Configuration?.Checksum,
            SecretKeys = planned.Configuration?.SecretKeys.Order(StringComparer.Ordinal).ToList(),
        };
        var devices = new List<DeviceDeploymentRecord>(planned.Devices.Count);
        foreach (var part in planned.Devices)
        {
            devices.Add(new DeviceDeploymentRecord
            {
                Id = part.Id,
                DeploymentId = planned.Id,
                DeviceId = part.DeviceId,
                Status = DeviceDeploymentState.Pending,
                CreatedAt = now,
                DeviceType = part.DeviceType,
                ArtifactId = part.ArtifactId,
            });
        }

        return new NewDeployment(deployment, devices);
    }
}
