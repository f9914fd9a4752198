namespace Gitfleet.Core.Rollouts;

/// <summary>What <see cref="BranchStatusBuilder"/> reads of a rollout's devices.</summary>
public interface IRolloutDeviceView
{
    /// <summary>The rollout state the convergence classification uses for the target's device at position <paramref name="i"/>.</summary>
    RolloutDeviceState ClassificationState(int i);

    /// <summary>The device's rollout row, null when the rollout has none for it.</summary>
    RolloutRowSummary? RowOf(string deviceId);
}

/// <summary>A device's rollout row as a status shows it: the last error, its first deployment and when it last changed.</summary>
public sealed record RolloutRowSummary(string? LastError, string? DeploymentId, DateTimeOffset ChangedAt);
