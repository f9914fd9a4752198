using Gitfleet.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// Runs the rollout engine: at start, every <see cref="ServerOptions.ReconcileInterval"/>, when a run is
/// requested (a new target, a webhook) and when a soak ends. Errors are logged and retried at the next run.
/// </summary>
internal sealed partial class RolloutService(RolloutEngine engine, ServerOptions options, TimeProvider time, ILogger<RolloutService> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.BackgroundReconcile)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await engine.RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
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

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "The rollout engine's run failed; retrying at the next interval")]
    private partial void LogRunFailed(Exception exception);
}
