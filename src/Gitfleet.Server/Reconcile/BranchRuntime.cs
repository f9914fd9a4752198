using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// What the engine keeps in memory for one branch between decisions. Changed only under the engine's lock;
/// <see cref="Status"/> is an immutable snapshot swapped atomically, so status reads never wait for a decision. A
/// status read before any status was built builds the first one outside that lock (<see cref="PublishFirst"/>), so
/// the conditions' transition times it records take a lock of their own.
/// </summary>
internal sealed class BranchRuntime(string branch) : IBranchStatusSource
{
    private readonly Dictionary<string, (bool Status, DateTimeOffset Since)> transitions = new(StringComparer.Ordinal);
    private readonly Lock transitionsLock = new();
    private volatile BranchStatus? status;

    public string Branch { get; } = branch;

    public BranchRecord? Record { get; set; }

    public TargetIndex? Target { get; set; }

    /// <summary>The target before the current one, while the rollout has not been rebuilt for the new one.</summary>
    public TargetIndex? PreviousTarget { get; set; }

    /// <summary>The rollout's devices as last written (null: read them from the store).</summary>
    public Dictionary<string, RolloutDeviceRecord>? Rows { get; set; }

    public RolloutDecision? LastDecision { get; set; }

    /// <summary>The rollout devices that were offline (and not done) at <see cref="LastDecision"/>.</summary>
    public (int Count, int Hash) LastOffline { get; set; }

    /// <summary>The last decision's device evaluations, and the target generation they belong to.</summary>
    public DeviceEvaluation[]? Evaluations { get; set; }

    public long EvaluatedGeneration { get; set; } = -1;

    /// <summary>Phases and start times of the rollout's devices (phase timeouts, pacing, estimates).</summary>
    public RolloutMemory Memory { get; } = new();

    /// <summary>The rollout's last bytes over the air, with the catalog prices and target generation it was estimated from.</summary>
    public (Core.Delivery.TransferCosts Costs, long Generation, Core.Delivery.TransferEstimate Estimate)? LastTransfer { get; set; }

    /// <summary>The target generation last saved as the branch's good target (its rollout completed with no failure).</summary>
    public long GoodGeneration { get; set; } = -1;

    /// <summary>The target generation whose rollout's revert was handled (done, or found impossible).</summary>
    public long RevertHandled { get; set; } = -1;

    /// <summary>A transient problem (git unreachable) shown as Reconciling until the next success.</summary>
    public string? TransientError { get; set; }

    string? IBranchStatusSource.LastSeenCommit => Record?.LastSeenCommit;

    Core.Repository.CommitInfo? IBranchStatusSource.AppliedCommit => Record?.AppliedCommit;

    IReadOnlyList<string> IBranchStatusSource.Errors => Record?.Errors ?? [];

    DateTimeOffset? IBranchStatusSource.StartedAt => Record?.StartedAt;

    public BranchStatus? Status
    {
        get => status;
        set => status = value;
    }

    /// <summary>When a condition last changed its status (Flux's lastTransitionTime).</summary>
    public DateTimeOffset TransitionTime(string type, bool value, DateTimeOffset now)
    {
        lock (transitionsLock)
        {
            if (transitions.TryGetValue(type, out var known) && known.Status == value)
            {
                return known.Since;
            }

            transitions[type] = (value, now);
            return now;
        }
    }

    /// <summary>
    /// The status, building the first one with <paramref name="build"/> when there is none yet. A reader outside the
    /// engine's lock never replaces a status the engine set meanwhile: the first one stored wins.
    /// </summary>
    public BranchStatus PublishFirst(Func<BranchRuntime, BranchStatus> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        if (status is { } current)
        {
            return current;
        }

        var built = build(this);
#pragma warning disable CS0420 // Interlocked on a volatile field is atomic and ordered.
        return Interlocked.CompareExchange(ref status, built, null) ?? built;
#pragma warning restore CS0420
    }
}
