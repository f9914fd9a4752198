using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// On the leader, stores each branch's status when it changed (statuses are immutable snapshots: a new object is
/// a change), at most every <see cref="Period"/>; the followers show it (<see cref="ReplicaFollower"/>), so every
/// replica answers a status request alike.
/// </summary>
internal sealed partial class StatusPublisher(IClusterStore cluster, RolloutEngine engine, Leadership leadership, ILogger<StatusPublisher> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);
    private readonly Dictionary<string, BranchStatus> stored = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var term = await leadership.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
                using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Ending);
                using (term.Enter())
                {
                    foreach (var status in engine.Statuses())
                    {
                        if (!stored.TryGetValue(status.Branch, out var known) || !ReferenceEquals(known, status))
                        {
                            await cluster.SaveBranchStatusAsync(status, work.Token).ConfigureAwait(false);
                            stored[status.Branch] = status;
                        }
                    }
                }

                await Task.Delay(Period, work.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The term ended or the store is away: a new term stores every status again.
                stored.Clear();
                LogFailed(e.Message);
                await Task.Delay(Period, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 4621, Level = LogLevel.Debug, Message = "Branch statuses were not stored this time: {Reason}")]
    private partial void LogFailed(string reason);
}
