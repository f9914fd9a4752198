using Gitfleet.Core.Repository;

namespace Gitfleet.Core.Rollouts;

/// <summary>What <see cref="BranchStatusBuilder"/> reads of a branch: its target, last decision and stored record, and when its conditions changed.</summary>
public interface IBranchStatusSource
{
    string Branch { get; }

    TargetIndex? Target { get; }

    RolloutDecision? LastDecision { get; }

    /// <summary>A transient problem (git unreachable) shown as Reconciling until the next success.</summary>
    string? TransientError { get; }

    /// <summary>The last commit seen on the branch (validated or not).</summary>
    string? LastSeenCommit { get; }

    /// <summary>The commit applied before the current target was loaded.</summary>
    CommitInfo? AppliedCommit { get; }

    /// <summary>Validation errors of <see cref="LastSeenCommit"/> (empty when it validated).</summary>
    IReadOnlyList<string> Errors { get; }

    DateTimeOffset? StartedAt { get; }

    /// <summary>When a condition last changed its status (Flux's lastTransitionTime).</summary>
    DateTimeOffset TransitionTime(string type, bool value, DateTimeOffset now);
}
