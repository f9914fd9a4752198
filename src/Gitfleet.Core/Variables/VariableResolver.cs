using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Variables;

/// <summary>
/// Computes a device's variables with Ansible's precedence (ansible-core's default VARIABLE_PRECEDENCE, as
/// <c>ansible-inventory --list</c> shows them), lowest first:
/// <list type="number">
/// <item><c>all</c>'s inline vars;</item>
/// <item>the inline vars of the device's other groups, sorted by depth, ansible_group_priority, name;</item>
/// <item><c>group_vars/all</c>;</item>
/// <item><c>group_vars/GROUP</c> of its other groups, in the same order;</item>
/// <item>label-selected overlays (Gitfleet), in file-name order;</item>
/// <item>the host's inline inventory vars, then <c>host_vars/HOST</c>.</item>
/// </list>
/// <c>ansible_group_priority</c> orders groups only where Ansible reads it, in a group's inline vars (it is not a
/// variable there); in a file it is an ordinary variable. The group part is computed once per distinct
/// membership (<see cref="GroupSet"/>).
/// </summary>
public sealed class VariableResolver
{
    private readonly FleetRevision revision;
    private readonly Lock gate = new();
    private readonly Dictionary<string[], GroupSet> byDirectGroups = new(SequenceComparer.Instance);
    private readonly Dictionary<string, GroupSet> byOrderedGroups = new(StringComparer.Ordinal);

    public VariableResolver(FleetRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        this.revision = revision;
    }

    /// <summary>The membership of a device whose direct groups are given (order and duplicates do not matter).</summary>
    public GroupSet Intern(IEnumerable<string> directGroups)
    {
        ArgumentNullException.ThrowIfNull(directGroups);
        var direct = directGroups.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(direct, StringComparer.Ordinal);
        lock (gate)
        {
            if (byDirectGroups.TryGetValue(direct, out var known))
            {
                return known;
            }

            var ordered = Order(direct);
            var key = string.Join('\n', ordered);
            if (!byOrderedGroups.TryGetValue(key, out var set))
            {
                set = new GroupSet(ordered, key);
                byOrderedGroups[key] = set;
            }

            byDirectGroups[direct] = set;
            return set;
        }
    }

    /// <summary>Closes groups over their ancestors (all included) and orders them as Ansible applies group_vars.</summary>
    public IReadOnlyList<string> OrderGroups(IEnumerable<string> directGroups) => Intern(directGroups).Groups;

    /// <summary>The variables a membership gives: group layers and the overlays they select (no host layers).</summary>
    public MergedVariables ForGroups(IReadOnlyList<string> orderedGroups) => ForGroups(Intern(orderedGroups));

    public MergedVariables ForGroups(GroupSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.WithOverlays is { } known)
        {
            return known; // Most devices share a membership computed already: no lock.
        }

        lock (gate)
        {
            if (set.WithOverlays is { } cached)
            {
                return cached;
            }

            var groups = GroupLayers(set);
            var overlays = MatchingOverlays(groups.Labels, set);
            MergedVariables result;
            if (overlays.Count == 0)
            {
                result = groups;
            }
            else
            {
                var merger = new VariableMerger(groups);
                foreach (var overlay in overlays)
                {
                    merger.Add(overlay.Vars);
                }

                result = merger.Build();
            }

            set.WithOverlays = result;
            return result;
        }
    }

    public MergedVariables ForDevice(IReadOnlyList<string> orderedGroups, string? hostName, string? deviceId) =>
        ForDevice(Intern(orderedGroups), hostName, deviceId);

    /// <summary>The variables of one device: its groups, the overlays its labels select, its host layers.</summary>
    public MergedVariables ForDevice(GroupSet set, string? hostName, string? deviceId)
    {
        ArgumentNullException.ThrowIfNull(set);
        var hostLayers = HostLayers(hostName, deviceId);
        if (hostLayers is null)
        {
            return ForGroups(set);
        }

        MergedVariables groups;
        lock (gate)
        {
            groups = GroupLayers(set);
        }

        // Overlays select on the device's final labels, which host layers may extend.
        var probe = new VariableMerger(new MergedVariables(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new Dictionary<string, string>(groups.Labels, StringComparer.Ordinal)));
        foreach (var layer in hostLayers)
        {
            probe.Add(layer);
        }

        var finalLabels = probe.Build().Labels;
        var merger = new VariableMerger(groups);
        foreach (var overlay in MatchingOverlays(finalLabels, set))
        {
            merger.Add(overlay.Vars);
        }

        foreach (var layer in hostLayers)
        {
            merger.Add(layer);
        }

        return merger.Build();
    }

    /// <summary>The host's own layers (inline inventory vars, host_vars by name, host_vars by server id), or null.</summary>
    private List<VariableSet>? HostLayers(string? hostName, string? deviceId)
    {
        List<VariableSet>? layers = null;
        if (hostName is not null && revision.Inventory.Hosts.TryGetValue(hostName, out var host) && host.InlineVars is not null)
        {
            (layers ??= new List<VariableSet>(2)).Add(host.InlineVars);
        }

        if (hostName is not null && revision.HostVars.TryGetValue(hostName, out var hostVars))
        {
            (layers ??= new List<VariableSet>(2)).Add(hostVars);
        }

        // A device declared by identity may also have host_vars under its server id.
        if (deviceId is not null && deviceId != hostName && revision.HostVars.TryGetValue(deviceId, out var byId))
        {
            (layers ??= new List<VariableSet>(1)).Add(byId);
        }

        return layers;
    }

    private MergedVariables GroupLayers(GroupSet set)
    {
        if (set.GroupLayers is { } cached)
        {
            return cached;
        }

        var groups = revision.Inventory.Groups;
        var merger = new VariableMerger();
        merger.Add(groups.GetValueOrDefault(Inventory.AllGroup)?.InlineVars, groupInline: true);
        foreach (var name in set.Groups)
        {
            if (name != Inventory.AllGroup)
            {
                merger.Add(groups.GetValueOrDefault(name)?.InlineVars, groupInline: true);
            }
        }

        merger.Add(revision.GroupVars.GetValueOrDefault(Inventory.AllGroup));
        foreach (var name in set.Groups)
        {
            if (name != Inventory.AllGroup)
            {
                merger.Add(revision.GroupVars.GetValueOrDefault(name));
            }
        }

        set.GroupLayers = merger.Build();
        return set.GroupLayers;
    }

    private List<Overlay> MatchingOverlays(Dictionary<string, string> labels, GroupSet set)
    {
        var result = new List<Overlay>();
        foreach (var overlay in revision.Overlays)
        {
            if (overlay.Selector.Matches(labels.GetValueOrDefault, set.Contains))
            {
                result.Add(overlay);
            }
        }

        return result;
    }

    private List<string> Order(string[] direct)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal) { Inventory.AllGroup };
        var stack = new Stack<string>(direct);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (!closure.Add(name) && name != Inventory.AllGroup)
            {
                continue;
            }

            if (revision.Inventory.Groups.TryGetValue(name, out var group))
            {
                foreach (var parent in group.Parents)
                {
                    if (!closure.Contains(parent))
                    {
                        stack.Push(parent);
                    }
                }
            }
        }

        return closure
            .OrderBy(Depth)
            .ThenBy(Priority)
            .ThenBy(g => g, StringComparer.Ordinal)
            .ToList();
    }

    private int Depth(string group) => revision.Inventory.Groups.TryGetValue(group, out var g) ? g.Depth : 1;

    /// <summary>A group's ansible_group_priority: only its inline vars set it (Ansible reads it while loading the inventory).</summary>
    private long Priority(string group) =>
        revision.Inventory.Groups.GetValueOrDefault(group)?.InlineVars?.Values.GetValueOrDefault(VariableMerger.GroupPriorityVariable) switch
        {
            long number => number,
            string text when long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) => number,
            _ => 1,
        };

    private sealed class SequenceComparer : IEqualityComparer<string[]>
    {
        public static readonly SequenceComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y, StringComparer.Ordinal));

        public int GetHashCode(string[] obj)
        {
            var hash = new HashCode();
            foreach (var item in obj)
            {
                hash.Add(item, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
