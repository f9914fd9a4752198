using Gitfleet.Server.Cluster;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// Runs the rollout engine: at start, every <see cref="ServerOptions.ReconcileInterval"/>, when a run is
/// requested (a new target, a webhook) and when a soak ends. Errors are logged and retried at the next run.
/// Only the leader runs it (<see cref="Leadership"/>): each run carries the term's fence, and a new term first
/// re-reads the rollouts from the store, where the previous leader left them.
/// </summary>
internal sealed partial class RolloutService(RolloutEngine engine, Leadership leadership, ServerOptions options, TimeProvider time, ILogger<RolloutService> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.BackgroundReconcile)
        {
            return;
        }

        await Task.Yield();
        LeaderTerm? previous = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var term = await leadership.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
                using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Ending);
                using (term.Enter())
                {
                    // A new term re-reads what the previous leader decided (the first term of a replica that
                    // followed too: what it read while following may lag the store). One process (no fence) never follows.
                    if (!ReferenceEquals(previous, term) && (previous is not null || term.Fence is not null))
                    {
                        await engine.RefreshAsync(forgetObserved: true, work.Token).ConfigureAwait(false);
                    }

                    previous = term;
                    await engine.RunOnceAsync(work.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is FencedWriteException or OperationCanceledException)
            {
                // The term ended during the run: nothing of the unfinished decision was written; the new leader decides.
                LogTermEnded(e.Message);
                continue;
            }
            catch (Exception e)
            {
                LogRunFailed(e);
            }

            var wait = options.ReconcileInterval;
            if (engine.NextWake is { } wakeAt && wakeAt - time.GetUtcNow() < wait)
            {
                wait = wakeAt - time.GetUtcNow();
            }

            try
            {
                await engine.WaitForRequestAsync(wait < MinimumWait ? MinimumWait : wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "The rollout engine's run stopped: this replica's leadership ended ({Reason})")]
    private partial void LogTermEnded(string reason);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "The rollout engine's run failed; retrying at the next interval")]
    private partial void LogRunFailed(Exception exception);
}
