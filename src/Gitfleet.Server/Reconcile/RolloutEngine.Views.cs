using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// One branch as the engine last decided it, for read-only views (dashboard, metrics). Every part is an
/// immutable snapshot: the engine replaces them after each decision and never changes one it has published.
/// </summary>
internal sealed record RolloutView(
    string Branch,
    BranchStatus Status,
    TargetIndex? Target,
    BranchRecord? Record,
    IReadOnlyDictionary<string, RolloutDeviceRecord>? Rows,
    RolloutDecision? Decision)
{
    /// <summary>The rollout's devices per wave and failures by reason (computed once per decision), or null before a rollout.</summary>
    public RolloutBreakdown? Breakdown => Target is { } target && Rows is { } rows ? RolloutBreakdown.Of(target, rows) : null;
}

internal sealed partial class RolloutEngine
{
    /// <summary>Every branch's last decision, by branch name; never waits for a running decision.</summary>
    public IReadOnlyList<RolloutView> Views() =>
        branches.Values.OrderBy(b => b.Branch, StringComparer.Ordinal).Select(View).ToList();

    public RolloutView? View(string branch) => branches.TryGetValue(branch, out var runtime) ? View(runtime) : null;

    private RolloutView View(BranchRuntime runtime) =>
        new(runtime.Branch, StatusOf(runtime), runtime.Target, runtime.Record, runtime.Rows, runtime.LastDecision);

    /// <summary>True once the branches were read from the store (the server answers about rollouts from then on).</summary>
    public bool Loaded => loaded;
}
