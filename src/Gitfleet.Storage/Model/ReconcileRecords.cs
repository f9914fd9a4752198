using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Storage.Model;

/// <summary>
/// A branch the reconciler manages: the commit whose target it rolls out, what the git watcher saw last, and the
/// rollout's progress. <see cref="TargetGeneration"/> grows with every new target; the rollout belongs to
/// <see cref="RolloutGeneration"/>, so a rollout older than the target is rebuilt for the new commit.
/// </summary>
public sealed record BranchRecord
{
    public required string Branch { get; init; }

    public long TargetGeneration { get; init; }

    public CommitInfo? AppliedCommit { get; init; }

    public string? ContentHash { get; init; }

    /// <summary>SHA-256 of the whole target document: the same document twice is recognised as unchanged.</summary>
    public string? TargetDigest { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    public string? LastSeenCommit { get; init; }

    /// <summary>Validation errors of <see cref="LastSeenCommit"/> (empty when it validated).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    public long RolloutGeneration { get; init; }

    public RolloutProgress Progress { get; init; } = RolloutProgress.Start;

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>A commit an abort rule reverted: it is not rolled out again (a new commit is).</summary>
    public string? RevertedCommit { get; init; }
}

/// <summary>The target of a branch's last rollout that completed with no failed device: what a revert goes back to.</summary>
public sealed record GoodTarget(string Branch, long Generation, string CommitSha, Gitfleet.Core.Reconcile.BranchTarget Target);

/// <summary>
/// A new target for a branch, stored as its applied target (it holds secret values). The target comes serialised
/// once, by the core (<see cref="Gitfleet.Core.Reconcile.SerializedTarget"/>): the store writes that document and
/// records its digest, so the digest the engine compares is always that of the document stored.
/// </summary>
public sealed record NewBranchTarget(string Branch, Gitfleet.Core.Reconcile.SerializedTarget Target, DateTimeOffset Now)
{
    /// <summary>The newest commit seen on the branch when it differs from the target's (a revert target: the reverted commit).</summary>
    public string? LastSeenCommit { get; init; }

    public CommitInfo Commit => Target.Target.Commit;

    public string ContentHash => Target.Target.ContentHash;

    public string Digest => Target.Digest;
}

/// <summary>
/// Everything one rollout decision changes, written in one transaction: new deployments (in order: an OS
/// deployment before the configuration that expects its image), configured maps, aborted device parts, rollout
/// devices and the rollout's progress.
/// </summary>
public sealed record RolloutCommit
{
    public required string Branch { get; init; }

    /// <summary>The target generation the rollout now belongs to.</summary>
    public required long Generation { get; init; }

    public required RolloutProgress Progress { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Delete the branch's rollout devices before writing <see cref="Devices"/> (a new rollout).</summary>
    public bool ReplaceDevices { get; init; }

    public IReadOnlyList<RolloutDeviceRecord> Devices { get; init; } = [];

    public IReadOnlyList<NewDeployment> Deployments { get; init; } = [];

    public IReadOnlyList<ConfiguredWrite> Configured { get; init; } = [];

    public IReadOnlyList<DevicePart> Aborts { get; init; } = [];

    public required DateTimeOffset Now { get; init; }

    public bool IsEmpty => !ReplaceDevices && Devices.Count == 0 && Deployments.Count == 0 && Configured.Count == 0 && Aborts.Count == 0;
}

/// <summary>How one device's part of a deployment ended (or stands), with the deployment's kind and artifact name.</summary>
public sealed record DevicePartOutcome(string DeploymentId, string DeviceId, string DeviceDeploymentId, DeviceDeploymentState Status, bool HasLog, string Kind, string ArtifactName);
