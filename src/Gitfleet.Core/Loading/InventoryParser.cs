using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Selectors;
using Gitfleet.Core.Variables;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Reads inventory.yml in Ansible's YAML inventory format. Top-level groups are children of <c>all</c>; a group
/// may be listed in several places (definitions are merged, as Ansible does); hosts directly under <c>all</c>
/// with no other group belong to <c>ungrouped</c>. Gitfleet adds <c>selector:</c> for dynamic groups.
/// </summary>
internal sealed class InventoryParser(YamlReader reader, VariableChecker variables)
{
    private static readonly string[] GroupKeys = ["hosts", "children", "vars", "selector"];
    private readonly Dictionary<string, GroupBuilder> groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostBuilder> hosts = new(StringComparer.Ordinal);

    public Inventory Parse(string file, object? root)
    {
        var all = Group(Inventory.AllGroup, SourceLocation.OfFile(file));
        if (root is null)
        {
            reader.Warning(DiagnosticCodes.MissingInventory, SourceLocation.OfFile(file), "the inventory is empty: no devices are declared");
        }
        else if (root is not YamlMap top)
        {
            reader.Error(DiagnosticCodes.WrongType, SourceLocation.OfFile(file), $"the inventory must be a mapping of groups (for example 'all:'), not {YamlReader.Describe(root)}");
        }
        else
        {
            foreach (var (name, definition) in top)
            {
                var group = ReadGroup(name, definition, top.KeyLocation(name));
                if (group is not null && name != Inventory.AllGroup)
                {
                    Link(all, group);
                }
            }
        }

        AssignUngrouped(all);
        var depths = ComputeDepths(all);
        var builtGroups = groups.Values.ToDictionary(
            g => g.Name,
            g => new InventoryGroup(g.Name, g.Location)
            {
                Parents = g.Parents,
                Children = g.Children,
                Hosts = g.Hosts,
                InlineVars = g.Vars.Count > 0 ? new VariableSet($"{file} (vars of group '{g.Name}')", g.Vars) : null,
                Selector = g.Selector,
                Depth = depths.GetValueOrDefault(g.Name),
            },
            StringComparer.Ordinal);
        var builtHosts = hosts.Values.ToDictionary(
            h => h.Name,
            h => new InventoryHost(h.Name, h.Location)
            {
                Groups = h.Groups,
                InlineVars = h.Vars.Count > 0 ? new VariableSet($"{file} (vars of host '{h.Name}')", h.Vars) : null,
            },
            StringComparer.Ordinal);
        return new Inventory(builtGroups, builtHosts);
    }

    private GroupBuilder? ReadGroup(string name, object? definition, SourceLocation location)
    {
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is ':' or ','))
        {
            reader.Error(DiagnosticCodes.InvalidValue, location, $"'{name}' is not a valid group name (no spaces, ':' or ',')");
            return null;
        }

        var group = Group(name, location);
        if (definition is null)
        {
            return group;
        }

        if (definition is not YamlMap map)
        {
            reader.Error(DiagnosticCodes.WrongType, location, $"group '{name}' must be a mapping with hosts, children, vars or selector, not {YamlReader.Describe(definition)}");
            return group;
        }

        reader.CheckKeys(map, $"group '{name}'", GroupKeys);
        if (reader.Map(map, "vars", $"group '{name}'") is { } vars)
        {
            variables.Check(vars, VariableLayer.Group);
            foreach (var (key, value) in vars)
            {
                group.Vars[key] = value;
                group.Vars.KeyLocations[key] = vars.KeyLocation(key);
                group.Vars.ValueLocations[key] = vars.ValueLocation(key);
            }
        }

        if (map.ContainsKey("selector"))
        {
            if (name == Inventory.AllGroup)
            {
                reader.Error(DiagnosticCodes.Contradiction, map.KeyLocation("selector"), "'all' cannot be a dynamic group");
            }
            else if (group.Selector is not null)
            {
                reader.Error(DiagnosticCodes.Contradiction, map.KeyLocation("selector"), $"dynamic group '{name}' already has a selector at {group.SelectorLocation}");
            }
            else
            {
                group.Selector = SelectorParser.Parse(reader, map, $"group '{name}'", allowGroups: false, FactLabels.Validate);
                group.SelectorLocation = map.KeyLocation("selector");
            }
        }

        if (reader.Map(map, "hosts", $"group '{name}'") is { } hostMap)
        {
            foreach (var (hostName, hostVars) in hostMap)
            {
                ReadHost(group, hostName, hostVars, hostMap.KeyLocation(hostName));
            }
        }

        if (reader.Map(map, "children", $"group '{name}'") is { } children)
        {
            foreach (var (childName, childDefinition) in children)
            {
                if (childName == Inventory.AllGroup)
                {
                    reader.Error(DiagnosticCodes.GroupCycle, children.KeyLocation(childName), "'all' cannot be a child group");
                    continue;
                }

                var child = ReadGroup(childName, childDefinition, children.KeyLocation(childName));
                if (child is not null)
                {
                    Link(group, child);
                }
            }
        }

        if (group.Selector is not null && group.Hosts.Count > 0)
        {
            reader.Error(DiagnosticCodes.Contradiction, group.SelectorLocation ?? location,
                $"dynamic group '{name}' also lists hosts; its members come from its selector, so list fixed hosts in a separate group");
        }

        return group;
    }

    private void ReadHost(GroupBuilder group, string name, object? vars, SourceLocation location)
    {
        if (!hosts.TryGetValue(name, out var host))
        {
            host = new HostBuilder(name, location);
            hosts[name] = host;
        }

        if (!host.Groups.Contains(group.Name))
        {
            host.Groups.Add(group.Name);
        }

        if (!group.Hosts.Contains(name))
        {
            group.Hosts.Add(name);
        }

        if (vars is null)
        {
            return;
        }

        if (vars is not YamlMap map)
        {
            reader.Error(DiagnosticCodes.WrongType, location, $"host '{name}' must map to its variables (or nothing), not {YamlReader.Describe(vars)}");
            return;
        }

        variables.Check(map, VariableLayer.Host);
        foreach (var (key, value) in map)
        {
            if (host.Vars.TryGetValue(key, out var earlier) && key is ReservedVariables.Identity or ReservedVariables.PublicKey
                && !VariableEquality.Equal(earlier, value))
            {
                reader.Error(DiagnosticCodes.Contradiction, map.KeyLocation(key),
                    $"host '{name}' declares a different '{key}' here than at {host.Vars.KeyLocation(key)}");
                continue;
            }

            host.Vars[key] = value;
            host.Vars.KeyLocations[key] = map.KeyLocation(key);
            host.Vars.ValueLocations[key] = map.ValueLocation(key);
        }
    }

    private GroupBuilder Group(string name, SourceLocation location)
    {
        if (!groups.TryGetValue(name, out var group))
        {
            group = new GroupBuilder(name, location);
            groups[name] = group;
        }

        return group;
    }

    private static void Link(GroupBuilder parent, GroupBuilder child)
    {
        if (!parent.Children.Contains(child.Name))
        {
            parent.Children.Add(child.Name);
        }

        if (!child.Parents.Contains(parent.Name))
        {
            child.Parents.Add(parent.Name);
        }
    }

    private void AssignUngrouped(GroupBuilder all)
    {
        var lonely = all.Hosts.Where(h => hosts[h].Groups.Count == 1).ToList();
        if (lonely.Count == 0 && !groups.ContainsKey("ungrouped"))
        {
            return;
        }

        var ungrouped = Group("ungrouped", all.Location);
        Link(all, ungrouped);
        foreach (var host in lonely)
        {
            ungrouped.Hosts.Add(host);
            hosts[host].Groups.Add("ungrouped");
        }
    }

    /// <summary>Ansible's group depth (all = 0; a child is one deeper than its deepest parent); reports cycles.</summary>
    private Dictionary<string, int> ComputeDepths(GroupBuilder all)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);

        void Visit(GroupBuilder group, int level)
        {
            if (depth.TryGetValue(group.Name, out var known) && known >= level)
            {
                return;
            }

            depth[group.Name] = level;
            onPath.Add(group.Name);
            foreach (var childName in group.Children)
            {
                if (onPath.Contains(childName))
                {
                    if (reported.Add(childName))
                    {
                        reader.Error(DiagnosticCodes.GroupCycle, groups[childName].Location,
                            $"group '{childName}' is its own ancestor (through '{group.Name}'); groups must form a tree without cycles");
                    }

                    continue;
                }

                Visit(groups[childName], level + 1);
            }

            onPath.Remove(group.Name);
        }

        Visit(all, 0);
        return depth;
    }

    private sealed class GroupBuilder(string name, SourceLocation location)
    {
        public string Name { get; } = name;

        public SourceLocation Location { get; } = location;

        public List<string> Parents { get; } = [];

        public List<string> Children { get; } = [];

        public List<string> Hosts { get; } = [];

        public YamlMap Vars { get; } = new(location);

        public Selector? Selector { get; set; }

        public SourceLocation? SelectorLocation { get; set; }
    }

    private sealed class HostBuilder(string name, SourceLocation location)
    {
        public string Name { get; } = name;

        public SourceLocation Location { get; } = location;

        public List<string> Groups { get; } = [];

        public YamlMap Vars { get; } = new(location);
    }
}
