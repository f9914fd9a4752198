using System.Collections.Concurrent;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Variables;

/// <summary>
/// Computes a device's variables from a revision with Ansible's precedence (lowest first):
/// <list type="number">
/// <item><c>all</c>'s inline vars, then <c>group_vars/all</c>;</item>
/// <item>the inline vars of the device's other groups by depth;</item>
/// <item><c>group_vars/GROUP</c> files of its other groups, sorted by depth, ansible_group_priority, name;</item>
/// <item>label-selected overlays (Gitfleet), in file-name order;</item>
/// <item>the host's inline inventory vars, then <c>host_vars/HOST</c>.</item>
/// </list>
/// The group part is cached per distinct group set, so a 200,000-device fleet with a few hundred distinct
/// memberships merges a few hundred times, not 200,000.
/// </summary>
public sealed class VariableResolver
{
    private readonly FleetRevision revision;
    private readonly ConcurrentDictionary<string, MergedVariables> groupCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MergedVariables> withOverlaysCache = new(StringComparer.Ordinal);

    public VariableResolver(FleetRevision revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        this.revision = revision;
    }

    /// <summary>
    /// Closes a set of direct groups over their ancestors (all included) and orders it the way Ansible applies
    /// group_vars: by depth, then ansible_group_priority, then name.
    /// </summary>
    public IReadOnlyList<string> OrderGroups(IEnumerable<string> directGroups)
    {
        ArgumentNullException.ThrowIfNull(directGroups);
        var closure = new HashSet<string>(StringComparer.Ordinal) { Inventory.AllGroup };
        var stack = new Stack<string>(directGroups);
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

    /// <summary>The variables a device gets from its groups and the overlays they select (no host layers).</summary>
    public MergedVariables ForGroups(IReadOnlyList<string> orderedGroups)
    {
        ArgumentNullException.ThrowIfNull(orderedGroups);
        var key = string.Join('\n', orderedGroups);
        return withOverlaysCache.GetOrAdd(key, _ =>
        {
            var groups = GroupLayers(orderedGroups, key);
            var overlays = MatchingOverlays(groups.Labels, orderedGroups);
            if (overlays.Count == 0)
            {
                return groups;
            }

            var merger = new VariableMerger(groups);
            foreach (var overlay in overlays)
            {
                merger.Add(overlay.Vars);
            }

            return merger.Build();
        });
    }

    /// <summary>The variables of one device: its groups, the overlays its labels select, its host layers.</summary>
    public MergedVariables ForDevice(IReadOnlyList<string> orderedGroups, string? hostName, string? deviceId)
    {
        ArgumentNullException.ThrowIfNull(orderedGroups);
        var hostLayers = HostLayers(hostName, deviceId);
        if (hostLayers.Count == 0)
        {
            return ForGroups(orderedGroups);
        }

        var key = string.Join('\n', orderedGroups);
        var groups = GroupLayers(orderedGroups, key);

        // Overlays select on the device's final labels, which host layers may extend.
        var labels = new Dictionary<string, string>(groups.Labels, StringComparer.Ordinal);
        var probe = new VariableMerger(new MergedVariables(new(StringComparer.Ordinal), new(StringComparer.Ordinal), labels));
        foreach (var layer in hostLayers)
        {
            probe.Add(layer);
        }

        var finalLabels = probe.Build().Labels;
        var merger = new VariableMerger(groups);
        foreach (var overlay in MatchingOverlays(finalLabels, orderedGroups))
        {
            merger.Add(overlay.Vars);
        }

        foreach (var layer in hostLayers)
        {
            merger.Add(layer);
        }

        return merger.Build();
    }

    /// <summary>True when a device has variables of its own (inline host vars or a host_vars file).</summary>
    public bool HasHostLayers(string? hostName, string? deviceId) => HostLayers(hostName, deviceId).Count > 0;

    private List<VariableSet> HostLayers(string? hostName, string? deviceId)
    {
        var layers = new List<VariableSet>(3);
        if (hostName is not null && revision.Inventory.Hosts.TryGetValue(hostName, out var host) && host.InlineVars is not null)
        {
            layers.Add(host.InlineVars);
        }

        if (hostName is not null && revision.HostVars.TryGetValue(hostName, out var hostVars))
        {
            layers.Add(hostVars);
        }

        // A device declared by identity may also have host_vars under its server id.
        if (deviceId is not null && deviceId != hostName && revision.HostVars.TryGetValue(deviceId, out var byId))
        {
            layers.Add(byId);
        }

        return layers;
    }

    private MergedVariables GroupLayers(IReadOnlyList<string> orderedGroups, string key) =>
        groupCache.GetOrAdd(key, _ =>
        {
            var groups = revision.Inventory.Groups;
            var merger = new VariableMerger();
            merger.Add(groups.GetValueOrDefault(Inventory.AllGroup)?.InlineVars);
            merger.Add(revision.GroupVars.GetValueOrDefault(Inventory.AllGroup));
            foreach (var name in orderedGroups.OrderBy(Depth))
            {
                if (name != Inventory.AllGroup)
                {
                    merger.Add(groups.GetValueOrDefault(name)?.InlineVars);
                }
            }

            foreach (var name in orderedGroups)
            {
                if (name != Inventory.AllGroup)
                {
                    merger.Add(revision.GroupVars.GetValueOrDefault(name));
                }
            }

            return merger.Build();
        });

    private List<Overlay> MatchingOverlays(Dictionary<string, string> labels, IReadOnlyList<string> groups)
    {
        var result = new List<Overlay>();
        foreach (var overlay in revision.Overlays)
        {
            if (overlay.Selector.Matches(labels.GetValueOrDefault, g => groups.Contains(g, StringComparer.Ordinal)))
            {
                result.Add(overlay);
            }
        }

        return result;
    }

    private int Depth(string group) => revision.Inventory.Groups.TryGetValue(group, out var g) ? g.Depth : 1;

    private long Priority(string group)
    {
        var inline = revision.Inventory.Groups.GetValueOrDefault(group)?.InlineVars?.Values.GetValueOrDefault(VariableMerger.GroupPriorityVariable);
        var file = revision.GroupVars.GetValueOrDefault(group)?.Values.GetValueOrDefault(VariableMerger.GroupPriorityVariable);
        return (file ?? inline) as long? ?? 1;
    }
}
