using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage;

/// <summary>
/// What the web dashboard reads beyond <see cref="IFleetStore"/>: a device search that pages and filters in the
/// database (indexes, never every device in memory), and which branch each device belongs to (kept from the
/// branches' targets, so "branch:production" is a join, not a list of 200,000 ids).
/// </summary>
public interface IDashboardStore
{
    /// <summary>One page of devices matching every filter, in id order (a keyset page), and how many match (exact, or a lower bound past <see cref="DeviceSearch.CountLimit"/>).</summary>
    Task<DeviceSearchPage> SearchDevicesAsync(DeviceSearch search, CancellationToken cancellationToken);

    /// <summary>Makes the branch's members exactly <paramref name="deviceIds"/>; writes only what changed. Returns how many rows changed.</summary>
    Task<int> SyncBranchMembersAsync(string branch, IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);

    /// <summary>The branch of each given device (devices no branch's target lists are left out).</summary>
    Task<IReadOnlyDictionary<string, string>> GetBranchesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);

    /// <summary>The rollout rows of the given devices (state, attempts, failure reason); devices without one are left out.</summary>
    Task<IReadOnlyList<RolloutDeviceRecord>> GetRolloutDevicesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);
}

/// <summary>A notification delivery: one event to one endpoint, retried until delivered or given up.</summary>
public interface INotificationStore
{
    Task InsertDeliveriesAsync(IReadOnlyList<NotificationDelivery> deliveries, CancellationToken cancellationToken);

    /// <summary>Pending deliveries due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<NotificationDelivery>> DueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    Task UpdateDeliveryAsync(NotificationDelivery delivery, CancellationToken cancellationToken);

    /// <summary>The newest deliveries first (the delivery log).</summary>
    Task<IReadOnlyList<NotificationDelivery>> ListDeliveriesAsync(int max, CancellationToken cancellationToken);
}
