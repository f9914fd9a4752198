using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Runs the delta generations this server claimed, one at a time (each may use a large part of a core and up to
/// about a GiB), away from the check-ins: a check-in only claims the work and answers at once.
/// </summary>
internal sealed partial class DeltaQueue(DeltaGenerator generator, ILogger<DeltaQueue> logger) : BackgroundService
{
    private readonly Channel<DeltaRecord> work = Channel.CreateUnbounded<DeltaRecord>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>How many generations are waiting or running (for tests and metrics).</summary>
    public int Pending => work.Reader.Count + running;

    private int running;

    /// <summary>Queues a delta this server has claimed.</summary>
    public void Enqueue(DeltaRecord claimed) => work.Writer.TryWrite(claimed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var claimed in work.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            Interlocked.Increment(ref running);
            try
            {
                await generator.GenerateAsync(claimed, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Anything unexpected (the store went away): the claim's lease runs out and a later check-in claims again.
                Unexpected(logger, claimed.BaseImage, claimed.TargetImage, e);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Generating the delta {BaseImage} -> {TargetImage} failed unexpectedly; it is claimed again after its lease")]
    private static partial void Unexpected(ILogger logger, string baseImage, string targetImage, Exception exception);
}
