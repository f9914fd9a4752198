using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Selectors;
using Gitfleet.Core.Variables;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// The parsed <c>inventory.yml</c>: Ansible's YAML inventory (all, children, hosts, vars) plus Gitfleet's
/// dynamic groups (<c>selector:</c> over server-side facts). Groups include <c>all</c>.
/// </summary>
public sealed record Inventory(
    IReadOnlyDictionary<string, InventoryGroup> Groups,
    IReadOnlyDictionary<string, InventoryHost> Hosts)
{
    public const string AllGroup = "all";

    public IEnumerable<InventoryGroup> DynamicGroups => Groups.Values.Where(g => g.Selector is not null);
}

/// <summary>An inventory group. Depth is Ansible's: all = 0, a child one deeper than its deepest parent.</summary>
public sealed record InventoryGroup(string Name, SourceLocation Location)
{
    public IReadOnlyList<string> Parents { get; init; } = [];

    public IReadOnlyList<string> Children { get; init; } = [];

    /// <summary>Hosts listed directly under this group.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>The group's inline <c>vars:</c> block in inventory.yml.</summary>
    public VariableSet? InlineVars { get; init; }

    /// <summary>For dynamic groups: the selector over device facts that defines membership.</summary>
    public Selector? Selector { get; init; }

    public int Depth { get; init; }
}

/// <summary>
/// A host (device) declared in the inventory. Its name is the Mender device id (a UUID), or any name when the
/// device is declared by identity attributes (so the repository can name devices before they first connect).
/// </summary>
public sealed record InventoryHost(string Name, SourceLocation Location)
{
    /// <summary>Groups that list this host directly.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Inline host vars from the inventory (merged over all places the host is listed).</summary>
    public VariableSet? InlineVars { get; init; }
}
