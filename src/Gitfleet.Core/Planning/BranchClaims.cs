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

    /// <summary>device key → the other branches that claim it.</summary>
    /// <param name="known">Memberships already resolved (for example the planned branch's); a branch whose fleet
    /// files are identical reuses one instead of resolving 200,000 devices again.</param>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Compute(
        IEnumerable<(string Branch, FleetRevision Revision)> otherBranches,
        IReadOnlyList<DeviceFacts> facts,
        params (FleetRevision Revision, FleetMembers Members)[] known)
    {
        ArgumentNullException.ThrowIfNull(otherBranches);
        var byContent = known.Where(k => k.Revision.ContentHash.Length > 0).ToDictionary(k => k.Revision.ContentHash, k => k.Members, StringComparer.Ordinal);
        var claims = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (branch, revision) in otherBranches)
        {
            if (revision.ContentHash.Length == 0 || !byContent.TryGetValue(revision.ContentHash, out var members))
            {
                members = FleetMembership.Resolve(revision, facts);
                if (revision.ContentHash.Length > 0)
                {
                    byContent[revision.ContentHash] = members;
                }
            }

            foreach (var key in Planner.Claims(members, branch))
            {
                if (!claims.TryGetValue(key, out var list))
                {
                    list = [];
                    claims[key] = list;
                }

                list.Add(branch);
            }
        }

        return claims.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }
}
