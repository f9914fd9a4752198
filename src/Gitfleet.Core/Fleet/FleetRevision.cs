using Gitfleet.Core.Repository;
using Gitfleet.Core.Variables;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// The whole fleet repository at one commit, parsed and checked: an immutable snapshot. A revision with errors
/// is never built, so a broken commit cannot replace the last good desired state.
/// </summary>
public sealed record FleetRevision
{
    public required string Ref { get; init; }

    public CommitInfo? Commit { get; init; }

    public required Inventory Inventory { get; init; }

    /// <summary>group_vars/&lt;group&gt;.yml by group name (including all).</summary>
    public required IReadOnlyDictionary<string, VariableSet> GroupVars { get; init; }

    /// <summary>host_vars/&lt;host&gt;.yml by host name (a device id or an inventory host name).</summary>
    public required IReadOnlyDictionary<string, VariableSet> HostVars { get; init; }

    public required IReadOnlyList<Overlay> Overlays { get; init; }

    /// <summary>Templates by their name relative to templates/ (what <c>configuration.template</c> names).</summary>
    public required IReadOnlyDictionary<string, ConfigurationTemplate> Templates { get; init; }

    public required FleetSettings Settings { get; init; }

    /// <summary>A hash of the fleet files: two branches with the same hash declare the same fleet.</summary>
    public string ContentHash { get; init; } = "";
}
