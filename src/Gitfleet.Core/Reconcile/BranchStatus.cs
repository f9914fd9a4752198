using Gitfleet.Core.Delivery;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Reconcile;

/// <summary>
/// How a stage (branch) is doing: which commit the server saw and applies, Flux-style conditions, the rollout,
/// and its devices by convergence state with the failing ones and why ("how many of those 50 updates failed,
/// and why?"). Served by GET /api/management/v1/gitfleet/branches[/{branch}], printed by `gitfleet status`.
/// </summary>
public sealed record BranchStatus
{
    public required string Branch { get; init; }

    /// <summary>The newest commit the server saw on the branch (it may not validate).</summary>
    public string? LastSeenCommit { get; init; }

    /// <summary>The commit whose target the server rolls out (the last good one).</summary>
    public CommitInfo? AppliedCommit { get; init; }

    public IReadOnlyList<StatusCondition> Conditions { get; init => field = value ?? []; } = [];

    public RolloutSummary? Rollout { get; init; }

    public DeviceCounts Devices { get; init; } = new();

    /// <summary>Devices failed, drifted, offline or left alone, with the reason (first ones only when many).</summary>
    public IReadOnlyList<DeviceIssue> Issues { get; init => field = value ?? []; } = [];

    /// <summary>Validation errors of the last seen commit when the branch is Stalled.</summary>
    public IReadOnlyList<string> Errors { get; init => field = value ?? []; } = [];

    public DateTimeOffset ObservedAt { get; init; }

    /// <summary>Whether the branch corrects drift (gitfleet.yml correctDrift): without it, a drifted device stays drifted until someone acts.</summary>
    public bool CorrectDrift { get; init; }

    public bool IsConverged => Devices.Total > 0 && Devices.Converged == Devices.Total - Devices.Problems && Devices.Failed == 0;
}

/// <summary>Ready, Reconciling or Stalled, as Flux reports them.</summary>
public sealed record StatusCondition(string Type, bool Status, string Reason, string Message, DateTimeOffset LastTransition)
{
    public const string Ready = "Ready";
    public const string Reconciling = "Reconciling";
    public const string Stalled = "Stalled";
}

public sealed record RolloutSummary
{
    public RolloutPhase Phase { get; init; }

    /// <summary>The current wave, 1-based, and how many there are.</summary>
    public int Wave { get; init; }

    public int Waves { get; init; }

    public string Message { get; init; } = "";

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>When the last wave reached <c>completeAt</c>: the bulk is done, stragglers aside.</summary>
    public DateTimeOffset? BulkCompletedAt { get; init; }

    /// <summary>Devices of completed waves still in progress, followed in the background.</summary>
    public int Stragglers { get; init; }

    /// <summary>Scheduled devices that downloaded (or are downloading) and wait before installing: window closed, or paused.</summary>
    public int Held { get; init; }

    /// <summary>Estimates: when the next wave starts, and when the bulk is done (null when unknown).</summary>
    public DateTimeOffset? NextWaveAt { get; init; }

    public DateTimeOffset? EstimatedEnd { get; init; }

    /// <summary>Why the devices that have not started wait, grouped: reason, how many, until when.</summary>
    public IReadOnlyList<WaitingDevices> Waiting { get; init => field = value ?? []; } = [];

    /// <summary>
    /// The bytes the rollout moves over the air per wave, delta-aware as <c>plan</c> shows them, with what its devices
    /// downloaded already and still will (estimates from the server's catalog; null when the rollout moves no OS image).
    /// </summary>
    public TransferEstimate? Transfer { get; init; }

    /// <summary>This rollout reverts another (an abort rule tripped): the reverted commit and why.</summary>
    public TargetRevert? RevertOf { get; init; }
}

/// <summary>Devices waiting for the same reason until the same time (a maintenance window, pacing, their wave ...).</summary>
public sealed record WaitingDevices(WaitReason Reason, int Devices, DateTimeOffset? Until, string Message)
{
    public string? Detail { get; init; }
}

public sealed record DeviceCounts
{
    public int Total { get; init; }

    public int Converged { get; init; }

    public int Pending { get; init; }

    public int InProgress { get; init; }

    public int Failed { get; init; }

    public int Offline { get; init; }

    public int Modified { get; init; }

    /// <summary>Subscribed devices left alone (unknown to the server, no image, conflict ...).</summary>
    public int Problems { get; init; }
}

/// <summary>A device that is not fine, and why.</summary>
public sealed record DeviceIssue(string Device, string State, string Reason)
{
    public string? DeploymentId { get; init; }

    public DateTimeOffset? Since { get; init; }
}
