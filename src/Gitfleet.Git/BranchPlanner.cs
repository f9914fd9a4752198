using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Git;

/// <summary>A branch planned at its head: the plan, and the revision and membership it came from.</summary>
public sealed record PlannedBranch(Plan Plan, FleetRevision Revision, FleetMembers Members, IReadOnlyList<string> Notes);

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
        var snapshot = await Repository.ReadSnapshotAsync(reference, cancellationToken).ConfigureAwait(false);
        return FleetLoader.Load(snapshot, new FleetLoadOptions
        {
            KnownBranches = branches.ToHashSet(StringComparer.Ordinal),
            Clock = TimeProvider.System,
            CancellationToken = cancellationToken,
        });
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
        ArgumentNullException.ThrowIfNull(revision);
        var members = FleetMembership.Resolve(revision, facts);
        onPhase?.Invoke("membership");
        var branches = await Repository.ListBranchesAsync(cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        var others = new List<(string, FleetRevision)>();
        var plannedTree = await Repository.TryResolveTreeAsync(branch, cancellationToken).ConfigureAwait(false);
        foreach (var other in BranchClaims.StageBranches(revision, members).Where(b => b != branch && branches.Contains(b)).Order(StringComparer.Ordinal))
        {
            // After a promotion the stages usually hold the same tree: its claims are this revision's.
            if (plannedTree is not null && await Repository.TryResolveTreeAsync(other, cancellationToken).ConfigureAwait(false) == plannedTree)
            {
                others.Add((other, revision));
                continue;
            }

            var result = await LoadAsync(other, cancellationToken).ConfigureAwait(false);
            if (result.Revision is null)
            {
                notes.Add($"branch '{other}' does not validate, so the devices it claims are not checked for conflicts");
                continue;
            }

            others.Add((other, result.Revision));
        }

        onPhase?.Invoke("read other stage branches");
        var claims = BranchClaims.Compute(others, facts, (revision, members));
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
