using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Resolution;
using Gitfleet.Core.Variables;

namespace Gitfleet.Core.Planning;

/// <summary>
/// Which devices other branches claim: a branch claims a device when, at that branch's own head, the device's
/// subscribed_branch (in git) is that branch. Used to detect a device claimed by two branches.
/// </summary>
public static class BranchClaims
{
    /// <summary>The stage branches worth checking: those the revision subscribes devices to, plus those with a policy.</summary>
    public static IReadOnlySet<string> StageBranches(FleetRevision revision, FleetMembers members)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(members);
        var branches = new HashSet<string>(revision.Settings.Branches.Keys, StringComparer.Ordinal);
        foreach (var member in members.Members)
        {
            if (member.Variables[ReservedVariables.SubscribedBranch] is string branch)
            {
                branches.Add(branch);
            }
        }

        return branches;
    }

    /// <summary>
    /// The devices this plan subscribes to <paramref name="branch"/> through git that another branch claims at its own
    /// head (device key → those branches). Each distinct revision's membership is resolved once, and only the devices
    /// the plan would update are looked up in it; a branch whose fleet files are the planned ones claims nothing
    /// new (a device has one subscription per revision), so after a promotion nothing is resolved again.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Compute(
        string branch,
        FleetRevision revision,
        FleetMembers members,
        IEnumerable<(string Branch, FleetRevision Revision)> otherBranches,
        IReadOnlyList<DeviceFacts> facts)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(otherBranches);
        var planned = members.Members.Where(m => m.Subscription == SubscriptionSource.Git && m.Branch == branch).Select(m => m.Key).ToList();
        var claims = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var subscriptions = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        foreach (var (other, otherRevision) in otherBranches)
        {
            if (planned.Count == 0 || (revision.ContentHash.Length > 0 && otherRevision.ContentHash == revision.ContentHash))
            {
                continue;
            }

            if (otherRevision.ContentHash.Length == 0 || !subscriptions.TryGetValue(otherRevision.ContentHash, out var gitBranches))
            {
                gitBranches = FleetMembership.Resolve(otherRevision, facts).Members.ToDictionary(m => m.Key, m => m.GitBranch, StringComparer.Ordinal);
                if (otherRevision.ContentHash.Length > 0)
                {
                    subscriptions[otherRevision.ContentHash] = gitBranches;
                }
            }

            foreach (var key in planned)
            {
                if (gitBranches.GetValueOrDefault(key) == other)
                {
                    if (!claims.TryGetValue(key, out var list))
                    {
                        list = [];
                        claims[key] = list;
                    }

                    list.Add(other);
                }
            }
        }

        return claims.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }
}
