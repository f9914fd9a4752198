using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Git;

/// <summary>A branch planned at its head: the plan, and the revision and membership it came from.</summary>
public sealed record PlannedBranch(Plan Plan, FleetRevision Revision, FleetMembers Members, IReadOnlyList<string> Notes);

/// <summary>
/// A branch ready to be planned: its revision, the other stage branches it may be compared with (loaded before the
/// facts are read), and what of the facts a plan of all of them reads.
/// </summary>
public sealed record BranchContext(string Branch, FleetRevision Revision, IReadOnlyList<OtherStage> OtherStages)
{
    /// <summary>The facts these revisions are planned against need no more than this.</summary>
    public FactsProjection Projection { get; } =
        PlanningFacts.Projection([Revision, .. OtherStages.Select(s => s.Revision).OfType<FleetRevision>()]);
}

/// <summary>Another stage branch at its head: its revision, or null when it does not validate.</summary>
public sealed record OtherStage(string Branch, FleetRevision? Revision);

/// <summary>
/// Plans a branch of a fleet repository the way `gitfleet plan`, `gitfleet apply` and the server's git watcher
/// all do it: load the branch (validated), resolve its membership against the facts, and collect the devices the
/// other stage branches claim at their own heads so a device claimed twice is left alone.
/// </summary>
public sealed class BranchPlanner(FleetRepository repository)
{
    public FleetRepository Repository { get; } = repository;

    /// <summary>Loads a ref, validated against the repository's branch names. Throws <see cref="GitCommandException"/> for git problems.</summary>
    public async Task<FleetLoadResult> LoadAsync(string reference, CancellationToken cancellationToken)
    {
        var branches = await Repository.ListBranchesAsync(cancellationToken).ConfigureAwait(false);
        return await LoadAsync(reference, branches.ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
    }

    private async Task<FleetLoadResult> LoadAsync(string reference, IReadOnlySet<string> branches, CancellationToken cancellationToken)
    {
        var snapshot = await Repository.ReadSnapshotAsync(reference, cancellationToken).ConfigureAwait(false);
        return FleetLoader.Load(snapshot, new FleetLoadOptions
        {
            KnownBranches = branches,
            Clock = TimeProvider.System,
            CancellationToken = cancellationToken,
        });
    }

    /// <summary>
    /// Loads the stage branches a device of the revision could be subscribed to (a branch with the same tree is
    /// this revision), so that the facts can be read knowing what every plan needs of them.
    /// </summary>
    public async Task<BranchContext> PrepareAsync(string branch, FleetRevision revision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revision);
        // The branch names and the trees of the stages are independent git reads: side by side, not one by one.
        var listing = Repository.ListBranchesAsync(cancellationToken);
        var resolving = Repository.TryResolveTreeAsync(branch, cancellationToken);
        var branches = (await listing.ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var candidates = PlanningFacts.StageCandidates(revision).Where(b => b != branch && branches.Contains(b)).Order(StringComparer.Ordinal).ToList();
        var trees = await Task.WhenAll(candidates.Select(c => Repository.TryResolveTreeAsync(c, cancellationToken))).ConfigureAwait(false);
        var plannedTree = await resolving.ConfigureAwait(false);
        var others = new List<OtherStage>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var other = candidates[i];

            // After a promotion the stages usually hold the same tree: its claims are this revision's.
            if (plannedTree is not null && trees[i] == plannedTree)
            {
                others.Add(new OtherStage(other, revision));
                continue;
            }

            var result = await LoadAsync(other, branches, cancellationToken).ConfigureAwait(false);
            others.Add(new OtherStage(other, result.Revision));
        }

        return new BranchContext(branch, revision, others);
    }

    /// <param name="onPhase">Called after each phase with its name (for timings).</param>
    /// <param name="clock">Where template render time limits are read (the system clock when null).</param>
    public async Task<PlannedBranch> PlanAsync(
        string branch,
        FleetRevision revision,
        IReadOnlyList<DeviceFacts> facts,
        Func<string, string?> secrets,
        CancellationToken cancellationToken,
        Action<string>? onPhase = null,
        TimeProvider? clock = null)
    {
        var context = await PrepareAsync(branch, revision, cancellationToken).ConfigureAwait(false);
        onPhase?.Invoke("read other stage branches");
        return Plan(context, facts, secrets, onPhase, clock, cancellationToken);
    }

    /// <summary>Plans a prepared branch against the facts (pure from here on).</summary>
    /// <param name="clock">Where template render time limits are read (the system clock when null).</param>
    /// <param name="cancellationToken">Stops a plan past its time budget (OperationCanceledException).</param>
    public static PlannedBranch Plan(
        BranchContext context,
        IReadOnlyList<DeviceFacts> facts,
        Func<string, string?> secrets,
        Action<string>? onPhase = null,
        TimeProvider? clock = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (branch, revision) = (context.Branch, context.Revision);
        var members = FleetMembership.Resolve(revision, facts);
        onPhase?.Invoke("membership");
        var stages = BranchClaims.StageBranches(revision, members);
        var notes = new List<string>();
        var others = new List<(string, FleetRevision)>();
        foreach (var other in context.OtherStages.Where(o => stages.Contains(o.Branch)))
        {
            if (other.Revision is null)
            {
                notes.Add($"branch '{other.Branch}' does not validate, so the devices it claims are not checked for conflicts");
                continue;
            }

            others.Add((other.Branch, other.Revision));
        }

        var claims = BranchClaims.Compute(branch, revision, members, others, facts);
        onPhase?.Invoke("claims of other branches");
        var plan = Planner.Plan(new PlanRequest
        {
            Branch = branch,
            Revision = revision,
            Facts = facts,
            Secrets = secrets,
            Members = members,
            OtherBranchClaims = claims,
            Clock = clock ?? TimeProvider.System,
            CancellationToken = cancellationToken,
        });
        onPhase?.Invoke("plan");
        return new PlannedBranch(plan, revision, members, notes);
    }
}
