using Gitfleet.Core.Facts;
using Gitfleet.Server.Facts;

namespace Gitfleet.Server.Reconcile.Git;

/// <summary>
/// The facts read of a plan, started before the revision is loaded and validated. Which facts a plan reads (its
/// <see cref="FactsProjection"/>) is known only from the revision, but it rarely changes from one commit to the next:
/// the read starts with the projection of the branch's last plan, on another thread, while git is read and the
/// revision validated (at 200,000 devices the read and the load are seconds each), and its result is used only when
/// the new revision's projection keeps exactly the same parts. Otherwise it is cancelled and the facts are read again,
/// as before. Facts are a snapshot of the store at some moment in any case; the early read's is taken a little sooner.
/// </summary>
internal sealed class EarlyFactsRead : IAsyncDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task<IReadOnlyList<DeviceFacts>> reading;
    private readonly FactsProjection projection;
    private bool disposed;

    private EarlyFactsRead(FactsWriter facts, FactsProjection projection, CancellationToken cancellationToken)
    {
        this.projection = projection;
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        reading = Task.Run(() => facts.ReadAllAsync(projection, token), token);
    }

    /// <summary>Starts reading with the last plan's projection; null when there was none (the first plan reads after loading).</summary>
    public static EarlyFactsRead? Start(FactsWriter facts, FactsProjection? lastProjection, CancellationToken cancellationToken) =>
        lastProjection is null ? null : new EarlyFactsRead(facts, lastProjection, cancellationToken);

    /// <summary>
    /// The facts as <paramref name="wanted"/> keeps them: the early read's when it kept the same parts, else read
    /// now (the early read is cancelled first). A failure of the early read is the read's failure, as it would have been.
    /// </summary>
    public static async Task<IReadOnlyList<DeviceFacts>> ReadAsync(
        EarlyFactsRead? early, FactsWriter facts, FactsProjection wanted, CancellationToken cancellationToken)
    {
        if (early is not null && early.projection.KeepsSamePartsAs(wanted))
        {
            return await early.reading.ConfigureAwait(false);
        }

        if (early is not null)
        {
            await early.DisposeAsync().ConfigureAwait(false);
        }

        return await facts.ReadAllAsync(wanted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels the read if it still runs and waits for it: nothing is left running, and its outcome is not wanted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await reading.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled above: expected.
        }
#pragma warning disable CA1031 // The early read's outcome is not used: a failure here is read again (and reported) by the caller, or not needed.
        catch (Exception)
        {
        }
#pragma warning restore CA1031
        finally
        {
            stop.Dispose();
        }
    }
}
