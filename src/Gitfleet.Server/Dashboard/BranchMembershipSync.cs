using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// Keeps the store's branch members in step with the branches' targets, so the device search filters by branch in
/// the database. Runs after each new target generation (checked every few seconds); writes only what changed.
/// </summary>
internal sealed partial class BranchMembershipSync(RolloutEngine engine, IDashboardStore store, ILogger<BranchMembershipSync> logger) : BackgroundService
{
    private readonly Dictionary<string, long> synced = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim running = new(1, 1);

    /// <summary>Brings every branch's members up to date now (tests and the first page after a new target).</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        await engine.LoadAsync(cancellationToken).ConfigureAwait(false);
        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var view in engine.Views())
            {
                if (view.Target is not { } target || synced.GetValueOrDefault(view.Branch, -1) == target.Generation)
                {
                    continue;
                }

                var changed = await store.SyncBranchMembersAsync(view.Branch, target.DeviceIds.ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
                synced[view.Branch] = target.Generation;
                if (changed > 0)
                {
                    LogSynced(view.Branch, changed);
                }
            }
        }
        finally
        {
            running.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                await SyncAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Branch {Branch}: {Changed} device memberships written for the device search")]
    private partial void LogSynced(string branch, int changed);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Writing branch memberships for the device search failed; retrying in 5 s")]
    private partial void LogFailed(Exception exception);
}
