using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Selectors;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Resolution;

/// <summary>
/// Decides which devices a revision manages, given what the server knows: inventory hosts (matched to server
/// devices by id or by identity attributes), devices named by host_vars files, and the members of dynamic
/// groups (selectors over facts). Devices the server knows that none of these name are unmanaged.
/// </summary>
public static class FleetMembership
{
    public static FleetMembers Resolve(FleetRevision revision, IReadOnlyList<DeviceFacts> facts, VariableResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(facts);
        resolver ??= new VariableResolver(revision);
        var byId = new Dictionary<string, DeviceFacts>(facts.Count, StringComparer.Ordinal);
        foreach (var device in facts)
        {
            byId[device.Id] = device;
        }

        var directGroups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var hostOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        var declared = new Dictionary<string, Fleet.InventoryHost?>(StringComparer.Ordinal);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var identityMatcher = new IdentityMatcher(revision, resolver, facts, byId);

        // 1. Inventory hosts, by id or by identity.
        foreach (var host in revision.Inventory.Hosts.Values)
        {
            var key = host.Name;
            if (identityMatcher.Match(host.Name, out var matchedId, out var problem))
            {
                key = matchedId!;
            }
            else if (problem is not null)
            {
                problems.GetOrAdd(key).Add(problem);
            }

            if (directGroups.ContainsKey(key))
            {
                problems.GetOrAdd(key).Add($"declared twice: by inventory host '{host.Name}' and by '{hostOf[key] ?? key}'");
                continue;
            }

            directGroups[key] = [.. host.Groups];
            hostOf[key] = host.Name;
            declared[key] = host;
        }

        // 2. Devices named only by a host_vars file.
        foreach (var name in revision.HostVars.Keys)
        {
            if (!revision.Inventory.Hosts.ContainsKey(name) && DeviceIds.IsValid(name) && !directGroups.ContainsKey(name))
            {
                directGroups[name] = [];
                hostOf[name] = null;
                declared[name] = null;
            }
        }

        // 3. Dynamic groups: every server device is tested against the dynamic groups' selectors, through an
        //    index on their first matchLabels key so that 40 site groups cost one lookup, not 40 tests. Devices
        //    only dynamic groups name (most of a large fleet) become members right here, on every core; the
        //    membership of a set of matched groups is interned once, not per device.
        var selectors = new DynamicGroupIndex(revision.Inventory.DynamicGroups);
        var dynamicOnly = new FleetMember?[selectors.IsEmpty ? 0 : facts.Count];
        if (!selectors.IsEmpty)
        {
            var alsoDeclared = new IReadOnlyList<string>?[facts.Count];
            var sets = new System.Collections.Concurrent.ConcurrentDictionary<GroupMatch, GroupSet>();
            Parallel.For(0, facts.Count, i =>
            {
                var device = facts[i];
                var match = selectors.Match(device);
                if (match.IsEmpty)
                {
                    return;
                }

                if (directGroups.ContainsKey(device.Id))
                {
                    alsoDeclared[i] = selectors.Names(match);
                    return;
                }

                if (!sets.TryGetValue(match, out var set))
                {
                    set = sets.GetOrAdd(match, resolver.Intern(selectors.Names(match)));
                }

                dynamicOnly[i] = new FleetMember(device.Id, null, device, set.Groups, resolver.ForDevice(set, device.Id, device.Id), null);
            });
            for (var i = 0; i < facts.Count; i++)
            {
                if (alsoDeclared[i] is { } groups)
                {
                    directGroups[facts[i].Id].AddRange(groups);
                }
            }
        }

        var entries = directGroups.ToArray();
        var declaredMembers = new FleetMember[entries.Length];
        Parallel.For(0, entries.Length, i =>
        {
            var (key, groups) = entries[i];
            var set = resolver.Intern(groups);
            var hostName = hostOf[key];
            var deviceFacts = byId.GetValueOrDefault(key);
            var variables = resolver.ForDevice(set, hostName ?? key, deviceFacts?.Id);
            var location = declared.GetValueOrDefault(key)?.Location ?? revision.HostVars.GetValueOrDefault(key)?.Values.Location;
            declaredMembers[i] = new FleetMember(key, hostName, deviceFacts, set.Groups, variables, location)
            {
                MatchProblems = problems.TryGetValue(key, out var list) ? list : [],
            };
        });

        var members = Sorted(declaredMembers, dynamicOnly);
        var known = 0;
        foreach (var member in members)
        {
            known += member.Facts is null ? 0 : 1;
        }

        return new FleetMembers(members, facts.Count - known);
    }

    /// <summary>
    /// All members by key. Dynamic members come in the facts' order, which the server sorts by id: then the few
    /// declared members are merged in rather than 200,000 keys sorted again.
    /// </summary>
    private static FleetMember[] Sorted(FleetMember[] declared, FleetMember?[] dynamic)
    {
        var others = new List<FleetMember>(dynamic.Length);
        var sorted = true;
        foreach (var member in dynamic)
        {
            if (member is not null)
            {
                sorted &= others.Count == 0 || string.CompareOrdinal(others[^1].Key, member.Key) < 0;
                others.Add(member);
            }
        }

        var members = new FleetMember[declared.Length + others.Count];
        Array.Sort(declared, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (!sorted)
        {
            declared.CopyTo(members, 0);
            others.CopyTo(members, declared.Length);
            Array.Sort(members, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return members;
        }

        var (d, o, next) = (0, 0, 0);
        while (d < declared.Length || o < others.Count)
        {
            members[next++] = o == others.Count || (d < declared.Length && string.CompareOrdinal(declared[d].Key, others[o].Key) < 0)
                ? declared[d++]
                : others[o++];
        }

        return members;
    }

    private static List<string> GetOrAdd(this Dictionary<string, List<string>> map, string key)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        return list;
    }

    /// <summary>
    /// The dynamic groups a device's facts select: up to 64 as bits of a number (the usual case, and what makes
    /// matched sets cheap to compare), more as a sorted list of their positions.
    /// </summary>
    private readonly record struct GroupMatch(ulong Bits, string? More)
    {
        public bool IsEmpty => Bits == 0 && More is null;
    }

    /// <summary>Finds the dynamic groups a device's facts select, indexed on each selector's first matchLabels key.</summary>
    private sealed class DynamicGroupIndex
    {
        private readonly (FactKey Key, Dictionary<string, List<int>> ByValue)[] indexes;
        private readonly List<int> unindexed = [];
        private readonly InventoryGroup[] groups;
        private readonly FactSelector[] selectors;

        public DynamicGroupIndex(IEnumerable<InventoryGroup> dynamicGroups)
        {
            groups = [.. dynamicGroups];
            selectors = [.. groups.Select(g => new FactSelector(g.Selector!))];
            var byLabel = new Dictionary<string, Dictionary<string, List<int>>>(StringComparer.Ordinal);
            for (var i = 0; i < groups.Length; i++)
            {
                var labels = groups[i].Selector!.MatchLabels;
                if (labels.Count == 0)
                {
                    unindexed.Add(i);
                    continue;
                }

                var key = labels.Keys.Min(StringComparer.Ordinal)!;
                if (!byLabel.TryGetValue(key, out var byValue))
                {
                    byValue = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                    byLabel[key] = byValue;
                }

                if (!byValue.TryGetValue(labels[key], out var list))
                {
                    list = [];
                    byValue[labels[key]] = list;
                }

                list.Add(i);
            }

            indexes = [.. byLabel.Select(l => (FactKey.Parse(l.Key), l.Value))];
        }

        public bool IsEmpty => groups.Length == 0;

        /// <summary>The dynamic groups the device's facts select.</summary>
        public GroupMatch Match(DeviceFacts device)
        {
            var bits = 0UL;
            List<int>? more = null;
            void Test(int group)
            {
                if (selectors[group].Matches(device))
                {
                    if (group < 64)
                    {
                        bits |= 1UL << group;
                    }
                    else
                    {
                        (more ??= []).Add(group);
                    }
                }
            }

            foreach (var (key, byValue) in indexes)
            {
                if (key.Of(device) is { } value && byValue.TryGetValue(value, out var candidates))
                {
                    foreach (var group in candidates)
                    {
                        Test(group);
                    }
                }
            }

            foreach (var group in unindexed)
            {
                Test(group);
            }

            more?.Sort();
            return new GroupMatch(bits, more is null ? null : string.Join(',', more));
        }

        /// <summary>The names of the matched groups.</summary>
        public List<string> Names(GroupMatch match)
        {
            var names = new List<string>();
            for (var i = 0; i < Math.Min(64, groups.Length); i++)
            {
                if ((match.Bits >> i & 1) != 0)
                {
                    names.Add(groups[i].Name);
                }
            }

            foreach (var position in match.More?.Split(',') ?? [])
            {
                names.Add(groups[int.Parse(position, System.Globalization.CultureInfo.InvariantCulture)].Name);
            }

            return names;
        }
    }

    /// <summary>Matches hosts declared by identity (all declared attributes equal) to server devices.</summary>
    private sealed class IdentityMatcher
    {
        private readonly Dictionary<string, YamlMap> identities = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), List<string>> index = [];
        private readonly Dictionary<string, DeviceFacts> byId;

        public IdentityMatcher(FleetRevision revision, VariableResolver resolver, IReadOnlyList<DeviceFacts> facts, Dictionary<string, DeviceFacts> byId)
        {
            this.byId = byId;
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var host in revision.Inventory.Hosts.Values)
            {
                if (resolver.ForDevice([Inventory.AllGroup], host.Name, null)[ReservedVariables.Identity] is YamlMap { Count: > 0 } identity)
                {
                    identities[host.Name] = identity;
                    keys.UnionWith(identity.Keys);
                }
            }

            if (keys.Count == 0)
            {
                return;
            }

            foreach (var device in facts)
            {
                foreach (var key in keys)
                {
                    if (device.Identity.TryGetValue(key, out var value))
                    {
                        if (!index.TryGetValue((key, value), out var list))
                        {
                            list = [];
                            index[(key, value)] = list;
                        }

                        list.Add(device.Id);
                    }
                }
            }
        }

        /// <summary>True with the server id when the host is matched; false with a problem when ambiguous.</summary>
        public bool Match(string hostName, out string? deviceId, out string? problem)
        {
            deviceId = null;
            problem = null;
            if (!identities.TryGetValue(hostName, out var identity))
            {
                return false;
            }

            HashSet<string>? candidates = null;
            foreach (var (key, value) in identity)
            {
                var text = value switch
                {
                    string s => s,
                    _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                };
                var ids = index.GetValueOrDefault((key, text)) ?? [];
                if (candidates is null)
                {
                    candidates = new HashSet<string>(ids, StringComparer.Ordinal);
                }
                else
                {
                    candidates.IntersectWith(ids);
                }
            }

            if (candidates is null || candidates.Count == 0)
            {
                return false;
            }

            if (candidates.Count > 1)
            {
                problem = $"its identity matches {candidates.Count} devices on the server ({string.Join(", ", candidates.Order(StringComparer.Ordinal).Take(3))}); add attributes until it names one";
                return false;
            }

            deviceId = candidates.First();
            return byId.ContainsKey(deviceId);
        }
    }
}

/// <summary>The devices a revision manages, sorted by key, and how many server devices it leaves unmanaged.</summary>
public sealed record FleetMembers(IReadOnlyList<FleetMember> Members, int Unmanaged);
