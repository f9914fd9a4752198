using Gitfleet.Server.Cluster;
using Gitfleet.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Artifacts;

/// <summary>
/// On the leader, every <see cref="ServerOptions.ArtifactSweepInterval"/>: removes the generated configuration
/// artifacts no deployment can need again (<see cref="ArtifactService.RemoveSpentConfigurationArtifactsAsync"/>).
/// One replica sweeps, under its term's fence, so replicas sharing the artifact directory do not race over files.
/// </summary>
internal sealed partial class SpentArtifactSweeper(ArtifactService artifacts, Leadership leadership, ServerOptions options, TimeProvider time, ILogger<SpentArtifactSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.BackgroundReconcile || options.ArtifactSweepInterval <= TimeSpan.Zero)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var term = await leadership.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
                using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Ending);
                int removed;
                using (term.Enter())
                {
                    removed = await artifacts.RemoveSpentConfigurationArtifactsAsync(work.Token).ConfigureAwait(false);
                }

                if (removed > 0)
                {
                    LogRemoved(removed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The term ended or the store is away: the next sweep removes what this one did not.
                LogFailed(e.Message);
            }

            try
            {
                await Task.Delay(options.ArtifactSweepInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 4701, Level = LogLevel.Information, Message = "Removed {Count} generated configuration artifacts whose deployments finished")]
    private partial void LogRemoved(int count);

    [LoggerMessage(EventId = 4702, Level = LogLevel.Warning, Message = "Generated configuration artifacts were not swept this time: {Reason}")]
    private partial void LogFailed(string reason);
}
