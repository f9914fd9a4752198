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
        var identityMatcher = new IdentityMatcher(revision, resolver, facts);

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
        //    only dynamic groups name (most of a large fleet) become members right here, on every core.
        var selectors = new DynamicGroupIndex(revision.Inventory.DynamicGroups);
        var dynamicOnly = new FleetMember?[selectors.IsEmpty ? 0 : facts.Count];
        if (!selectors.IsEmpty)
        {
            var alsoDeclared = new List<string>?[facts.Count];
            Parallel.For(0, facts.Count, i =>
            {
                var device = facts[i];
                if (selectors.Match(device) is not { } groups)
                {
                    return;
                }

                if (directGroups.ContainsKey(device.Id))
                {
                    alsoDeclared[i] = groups;
                    return;
                }

                var set = resolver.Intern(groups);
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

        var members = new FleetMember[declaredMembers.Length + dynamicOnly.Count(m => m is not null)];
        declaredMembers.CopyTo(members, 0);
        var next = declaredMembers.Length;
        foreach (var member in dynamicOnly)
        {
            if (member is not null)
            {
                members[next++] = member;
            }
        }

        Array.Sort(members, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new FleetMembers(members, facts.Count - members.Count(m => m.Facts is not null));
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

    /// <summary>Finds the dynamic groups a device's facts select, indexed on each selector's first matchLabels key.</summary>
    private sealed class DynamicGroupIndex
    {
        private readonly Dictionary<string, Dictionary<string, List<InventoryGroup>>> byLabel = new(StringComparer.Ordinal);
        private readonly List<InventoryGroup> unindexed = [];

        public DynamicGroupIndex(IEnumerable<InventoryGroup> groups)
        {
            foreach (var group in groups)
            {
                var labels = group.Selector!.MatchLabels;
                if (labels.Count == 0)
                {
                    unindexed.Add(group);
                    continue;
                }

                var key = labels.Keys.Min(StringComparer.Ordinal)!;
                if (!byLabel.TryGetValue(key, out var byValue))
                {
                    byValue = new Dictionary<string, List<InventoryGroup>>(StringComparer.Ordinal);
                    byLabel[key] = byValue;
                }

                if (!byValue.TryGetValue(labels[key], out var list))
                {
                    list = [];
                    byValue[labels[key]] = list;
                }

                list.Add(group);
            }
        }

        public bool IsEmpty => byLabel.Count == 0 && unindexed.Count == 0;

        /// <summary>The names of the dynamic groups the device's facts select, or null for none.</summary>
        public List<string>? Match(DeviceFacts device)
        {
            List<string>? matched = null;
            Func<string, string?>? lookup = null;
            foreach (var (key, byValue) in byLabel)
            {
                if (FactLabels.Lookup(device, key) is { } value && byValue.TryGetValue(value, out var candidates))
                {
                    foreach (var group in candidates)
                    {
                        lookup ??= FactLabels.For(device);
                        if (group.Selector!.Matches(lookup))
                        {
                            (matched ??= []).Add(group.Name);
                        }
                    }
                }
            }

            foreach (var group in unindexed)
            {
                lookup ??= FactLabels.For(device);
                if (group.Selector!.Matches(lookup))
                {
                    (matched ??= []).Add(group.Name);
                }
            }

            return matched;
        }
    }

    /// <summary>Matches hosts declared by identity (all declared attributes equal) to server devices.</summary>
    private sealed class IdentityMatcher
    {
        private readonly Dictionary<string, YamlMap> identities = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), List<string>> index = [];
        private readonly Dictionary<string, DeviceFacts> byId;

        public IdentityMatcher(FleetRevision revision, VariableResolver resolver, IReadOnlyList<DeviceFacts> facts)
        {
            byId = facts.ToDictionary(f => f.Id, StringComparer.Ordinal);
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
