using Gitfleet.Server.Devices;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// The exact number of devices a search matches when the server already holds it in memory, so the store does not
/// count: every device or one status (the device registry), one branch (its target's devices, which the branch
/// members are kept from), one branch in one rollout state (the engine's rollout devices of that branch). Null for
/// any other filter: the store counts those, up to <see cref="DeviceSearch.CountLimit"/>.
/// </summary>
internal static class KnownDeviceCount
{
    /// <param name="byStatus">The registry's devices per status (<see cref="DeviceRegistry.CountByStatus"/>), which the page
    /// shows anyway: counted once per request (it walks every device in memory).</param>
    public static long? Of(DeviceSearch search, IReadOnlyDictionary<string, long> byStatus, RolloutEngine engine)
    {
        if (search is not { Text: null, DeviceType: null, Group: null, Reason: null, Attributes.Count: 0 })
        {
            return null;
        }

        if (search is { Branch: null, RolloutState: null })
        {
            return search.Status is { } status ? byStatus.GetValueOrDefault(status) : byStatus.Values.Sum();
        }

        if (search is not { Branch: { } branch, Status: null })
        {
            return null;
        }

        var view = engine.View(branch);
        if (search.RolloutState is not { } state)
        {
            return view?.Target?.Count ?? 0;
        }

        if (!Enum.TryParse<Core.Rollouts.RolloutDeviceState>(state, ignoreCase: true, out var wanted))
        {
            return null;
        }

        long count = 0;
        foreach (var row in view?.Rows?.Values ?? [])
        {
            count += row.State == wanted ? 1 : 0;
        }

        return count;
    }
}
