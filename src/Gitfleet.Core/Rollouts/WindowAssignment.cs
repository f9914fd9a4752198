using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// Which maintenance windows apply to a device: the windows whose selector matches its labels and groups; a
/// device no selected window matches gets the windows without a selector; with none of those it may install at
/// any time (blackout days aside).
/// </summary>
public static class WindowAssignment
{
    /// <summary>The names of the windows that apply, in file order (a stable key: devices with the same names share a calendar).</summary>
    public static IReadOnlyList<string> For(IReadOnlyList<MaintenanceWindow> windows, Func<string, string?> labels, Func<string, bool> isMember)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(labels);
        if (windows.Count == 0)
        {
            return [];
        }

        var selected = windows.Where(w => w.Selector is { } selector && selector.Matches(labels, isMember)).Select(w => w.Name).ToList();
        return selected.Count > 0 ? selected : windows.Where(w => w.Selector is null).Select(w => w.Name).ToList();
    }

    /// <summary>The windows named in <paramref name="names"/> (unknown names are ignored).</summary>
    public static IReadOnlyList<MaintenanceWindow> Named(IReadOnlyList<MaintenanceWindow> windows, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(names);
        return windows.Where(w => names.Contains(w.Name, StringComparer.Ordinal)).ToList();
    }
}
