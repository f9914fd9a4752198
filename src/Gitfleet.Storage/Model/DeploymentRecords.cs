namespace Gitfleet.Storage.Model;

/// <summary>Which git change scheduled a deployment (a Gitfleet extension).</summary>
public sealed record DeploymentTrace(string? Branch, string? Commit, string? Author, string? Subject);

public sealed record DeploymentRecord
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string ArtifactName { get; init; }

    /// <summary>"os" or "configuration".</summary>
    public required string Kind { get; init; }

    /// <summary>Pending (no device started), in progress, finished (spelled by <see cref="StatusNames"/>).</summary>
    public required DeploymentState Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required int DeviceCount { get; init; }

    public int Retries { get; init; }

    public string? Group { get; init; }

    public DeploymentTrace? Trace { get; init; }

    public string? IdempotencyKey { get; init; }

    /// <summary>For configuration deployments: the generated artifact and the configuration it carries.</summary>
    public string? ArtifactId { get; init; }

    public IReadOnlyDictionary<string, string>? Configuration { get; init; }

    public string? ConfigurationChecksum { get; init; }

    /// <summary>Configuration keys whose values are secrets (shown as *** in histories); set by the reconciler.</summary>
    public IReadOnlyList<string>? SecretKeys { get; init; }
}

/// <summary>One device's part in a deployment (Mender's "device deployment").</summary>
public sealed record DeviceDeploymentRecord
{
    public required string Id { get; init; }

    public required string DeploymentId { get; init; }

    public required string DeviceId { get; init; }

    /// <summary>Pending, downloading ... success, failure (spelled by <see cref="StatusNames"/>).</summary>
    public required DeviceDeploymentState Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>How many times the device started this deployment (1 + retries used).</summary>
    public int Attempts { get; init; }

    public string? DeviceType { get; init; }

    /// <summary>The artifact chosen for this device (null when none matched its device type).</summary>
    public string? ArtifactId { get; init; }

    public bool HasLog { get; init; }

    public string? Substate { get; init; }
}

/// <summary>A device deployment together with its deployment, for the device-history and facts views.</summary>
public sealed record DeviceDeploymentView(DeviceDeploymentRecord Device, DeploymentRecord Deployment);

public sealed record DeploymentQuery
{
    public DeploymentState? Status { get; init; }

    /// <summary>Substring of the name or artifact name.</summary>
    public string? Search { get; init; }

    public int Page { get; init; } = 1;

    public int PerPage { get; init; } = 20;
}

/// <summary>One line of a device's deployment log, as the Mender client sends it.</summary>
public sealed record DeploymentLogMessage(string? Level, string Message, string? Timestamp);

/// <summary>A new deployment with its per-device rows, written in one transaction.</summary>
public sealed record NewDeployment(DeploymentRecord Deployment, IReadOnlyList<DeviceDeploymentRecord> Devices);

/// <summary>The result of creating a deployment: the stored one, and whether an Idempotency-Key matched an earlier one.</summary>
public sealed record CreateDeploymentOutcome(DeploymentRecord Deployment, bool Existing);

/// <summary>A device's status change, and how the deployment looks afterwards.</summary>
public sealed record StatusChangeOutcome(DeviceDeploymentRecord Device, DeploymentRecord Deployment, bool DeviceStillHasUnfinished);

/// <summary>The device deployment statuses as the store keeps them and Mender spells them (<see cref="StatusNames"/> formats <see cref="DeviceDeploymentState"/> with these).</summary>
public static class DeviceDeploymentStatus
{
    public const string Pending = "pending";
    public const string Downloading = "downloading";
    public const string Installing = "installing";
    public const string Rebooting = "rebooting";
    public const string PauseBeforeInstalling = "pause_before_installing";
    public const string PauseBeforeCommitting = "pause_before_committing";
    public const string PauseBeforeRebooting = "pause_before_rebooting";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string AlreadyInstalled = "already-installed";
    public const string NoArtifact = "noartifact";
    public const string Aborted = "aborted";
    public const string Decommissioned = "decommissioned";
}

public static class DeploymentStatus
{
    public const string Pending = "pending";
    public const string InProgress = "inprogress";
    public const string Finished = "finished";
}

public static class DeploymentKinds
{
    public const string Os = "os";
    public const string Configuration = "configuration";

    /// <summary>The name of the configuration artifact a deployment carries (<see cref="Gitfleet.Core.Rollouts.ConfigurationArtifactName"/>).</summary>
    public static string ConfigurationArtifactName(string checksum, string deploymentId) => Gitfleet.Core.Rollouts.ConfigurationArtifactName.Of(checksum, deploymentId);

    /// <summary>Whether <paramref name="artifactName"/> is one of the configuration artifacts generated for <paramref name="checksum"/>.</summary>
    public static bool IsConfigurationArtifactOf(string artifactName, string checksum) => Gitfleet.Core.Rollouts.ConfigurationArtifactName.IsOf(artifactName, checksum);
}
