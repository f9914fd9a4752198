using Gitfleet.Core.Delivery;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The server's catalog as the rollout engine prices downloads for a byte budget: read from the store when first
/// needed and again when it is a minute old (a delta that became ready lowers the price of the devices that start
/// after that). Used under the engine's lock.
/// </summary>
internal sealed class TransferCostsCache(CatalogBuilder catalogs, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private TransferCosts? costs;
    private DateTimeOffset readAt;

    public async Task<TransferCosts> GetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (costs is null || now - readAt >= MaxAge)
        {
            costs = new TransferCosts(await catalogs.BuildAsync(cancellationToken).ConfigureAwait(false));
            readAt = now;
        }

        return costs;
    }
}
