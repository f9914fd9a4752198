namespace Gitfleet.Core.Variables;

/// <summary>
/// A distinct group membership: the device's groups with their ancestors, in Ansible's order, and the variables
/// they give (computed once). Devices with the same direct groups share one instance, which is what makes
/// resolving 200,000 devices cheap: a fleet has hundreds of memberships, not hundreds of thousands.
/// </summary>
public sealed class GroupSet
{
    internal GroupSet(IReadOnlyList<string> groups, string key)
    {
        Groups = groups;
        Key = key;
    }

    /// <summary>All groups, ancestors and <c>all</c> included, ordered by depth, ansible_group_priority, name.</summary>
    public IReadOnlyList<string> Groups { get; }

    internal string Key { get; }

    /// <summary>Group variables only (no overlays).</summary>
    internal MergedVariables? GroupLayers { get; set; }

    private MergedVariables? withOverlays;

    /// <summary>Group variables with the overlays they select (read without a lock once set).</summary>
    internal MergedVariables? WithOverlays { get => Volatile.Read(ref withOverlays); set => Volatile.Write(ref withOverlays, value); }

    public bool Contains(string group)
    {
        foreach (var name in Groups)
        {
            if (string.Equals(name, group, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
