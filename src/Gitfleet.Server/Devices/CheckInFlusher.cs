using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Devices;

/// <summary>
/// Writes in-memory check-in times and changed provides (rootfs-image.version from check-ins) to the store in
/// batches, and once more at shutdown.
/// </summary>
internal sealed partial class CheckInFlusher(DeviceRegistry registry, DeviceProvides provides, IFleetStore store, ServerOptions options, TimeProvider time, ILogger<CheckInFlusher> logger)
    : BackgroundService
{
    private const int BatchSize = 5000;

    /// <summary>
    /// Check-in times per transaction. Every transaction appends each table page it changed to SQLite's write-ahead
    /// log, and a device's row sits on a page with ten-odd other devices in registration order, not in id order:
    /// batches of 5,000 random devices each changed most pages of a 20,000-device table again, so one flush of
    /// 33,000 check-ins (100,000 devices polling every 30 s, flushed every 10 s) appended the table's pages about seven
    /// times. One transaction a flush (up to this many rows) appends each page once: fewer, longer holds of the writer.
    /// </summary>
    private const int CheckInBatchSize = 50_000;

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (provides.Drain(BatchSize) is { Count: > 0 } changed)
        {
            await store.SaveProvidedAsync(changed, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var batch = registry.DrainCheckIns(CheckInBatchSize);
            if (batch.Count == 0)
            {
                return;
            }

            await store.SaveCheckInsAsync(batch, cancellationToken).ConfigureAwait(false);
            LogFlushed(batch.Count);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckInFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFlushFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Wrote {Count} device check-ins")]
    private partial void LogFlushed(int count);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Writing device check-ins failed; retrying at the next interval")]
    private partial void LogFlushFailed(Exception exception);
}
