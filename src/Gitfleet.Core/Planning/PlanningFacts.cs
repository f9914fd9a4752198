using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Planning;

/// <summary>
/// What planning reads of the facts, and which stage branches it may compare with, known before the facts are
/// read: a plan keeps the installed image, whether the device applies deltas (transfer estimates and the byte
/// budget price its download), the attributes and identity attributes the revisions' dynamic groups
/// select on, and the identity attributes hosts are declared by; nothing else of the twenty-odd attributes a
/// device reports, and never the server's configured configuration.
/// </summary>
public static class PlanningFacts
{
    private const string AttributePrefix = "attributes.";
    private const string IdentityPrefix = "identity.";

    /// <summary>The projection that keeps what planning these revisions (a branch and the stages it is compared with) reads.</summary>
    public static FactsProjection Projection(IEnumerable<FleetRevision> revisions)
    {
        ArgumentNullException.ThrowIfNull(revisions);
        var attributes = new HashSet<string>(StringComparer.Ordinal) { DeviceFacts.RootfsImageVersionAttribute, Delivery.DeltaSupport.FormatsAttribute };
        var identity = new HashSet<string>(StringComparer.Ordinal);
        foreach (var revision in revisions)
        {
            foreach (var group in revision.Inventory.DynamicGroups)
            {
                var keys = group.Selector!.MatchLabels.Keys.Concat(group.Selector.MatchExpressions.Select(e => e.Key));
                foreach (var key in keys)
                {
                    if (key.StartsWith(AttributePrefix, StringComparison.Ordinal))
                    {
                        attributes.Add(key[AttributePrefix.Length..]);
                    }
                    else if (key.StartsWith(IdentityPrefix, StringComparison.Ordinal))
                    {
                        identity.Add(key[IdentityPrefix.Length..]);
                    }
                }
            }

            foreach (var layer in Layers(revision))
            {
                if (layer.Values.GetValueOrDefault(ReservedVariables.Identity) is YamlMap declared)
                {
                    identity.UnionWith(declared.Keys);
                }
            }
        }

        return new FactsProjection { Attributes = attributes, Identity = identity, ConfiguredConfiguration = false };
    }

    /// <summary>
    /// Every branch a device of this revision could be subscribed to (any subscribed_branch a variable layer sets,
    /// and the branches gitfleet.yml has a policy for): the stages whose claims a plan may have to check.
    /// </summary>
    public static IReadOnlySet<string> StageCandidates(FleetRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var branches = new HashSet<string>(revision.Settings.Branches.Keys, StringComparer.Ordinal);
        foreach (var layer in Layers(revision))
        {
            if (layer.Values.GetValueOrDefault(ReservedVariables.SubscribedBranch) is string branch)
            {
                branches.Add(branch);
            }
        }

        return branches;
    }

    private static IEnumerable<VariableSet> Layers(FleetRevision revision)
    {
        foreach (var group in revision.Inventory.Groups.Values)
        {
            if (group.InlineVars is not null)
            {
                yield return group.InlineVars;
            }
        }

        foreach (var host in revision.Inventory.Hosts.Values)
        {
            if (host.InlineVars is not null)
            {
                yield return host.InlineVars;
            }
        }

        foreach (var layer in revision.GroupVars.Values.Concat(revision.HostVars.Values).Concat(revision.Overlays.Select(o => o.Vars)))
        {
            yield return layer;
        }
    }
}
