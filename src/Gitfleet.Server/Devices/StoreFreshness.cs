using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Devices;

/// <summary>
/// Says whether this replica's memory views hold every change committed to a shared store before a request
/// arrived, so memory may answer it as the store would (an unchanged inventory PUT, a known device's auth request).
/// </summary>
/// <remarks>
/// The argument: the change feed numbers changes in commit order (every trigger takes the cluster write lock) and a
/// change row commits with the change itself. A head read (the newest number) started after the request arrived
/// covers every change committed before it; once the follower has applied every change up to that head
/// (<see cref="Applied"/> ≥ head), memory reflects them all, and a change committed later is concurrent with the
/// request, so answering from memory is as if the request had come first. Writes of this replica update memory
/// under the device's lock after their commit, and the feed's changes of a device take the same lock, so neither
/// overtakes the other. Head reads are shared: every caller waits for the next read that starts after it called
/// (one query serves all the requests that arrived meanwhile). Alone on a store (SQLite), memory is always current.
/// </remarks>
public sealed class StoreFreshness(IChangeFeed? feed)
{
    private readonly Lock gate = new();
    private long applied;
    private TaskCompletionSource<long>? next;
    private bool reading;

    /// <summary>The feed position through which this replica's views hold every change.</summary>
    public long Applied => Interlocked.Read(ref applied);

    /// <summary>Head reads made (metrics and tests: a head read serves many requests).</summary>
    public long HeadReads => Interlocked.Read(ref headReads);

    private long headReads;

    /// <summary>Call after the views took in every change up to <paramref name="position"/> (never moves back).</summary>
    public void MarkApplied(long position)
    {
        var seen = Interlocked.Read(ref applied);
        while (position > seen)
        {
            var was = Interlocked.CompareExchange(ref applied, position, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>True when memory holds every change committed before this call (always, alone on a store).</summary>
    public async ValueTask<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        if (feed is null)
        {
            return true;
        }

        var head = await NextHeadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return Applied >= head;
    }

    /// <summary>The result of the next head read that starts after this call.</summary>
    private Task<long> NextHeadAsync()
    {
        lock (gate)
        {
            next ??= new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var mine = next.Task;
            if (!reading)
            {
                reading = true;
                _ = Task.Run(ReadHeadsAsync);
            }

            return mine;
        }
    }

    /// <summary>Reads the head for the callers waiting, as long as some are; the callers of one read joined before it started.</summary>
    private async Task ReadHeadsAsync()
    {
        while (true)
        {
            TaskCompletionSource<long> current;
            lock (gate)
            {
                if (next is null)
                {
                    reading = false;
                    return;
                }

                current = next;
                next = null;
            }

            try
            {
                Interlocked.Increment(ref headReads);
                current.SetResult(await feed!.PositionAsync(CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                // The store is unreachable (a PostgreSQL restart): these callers fail as a store read would.
                current.SetException(e);
            }
        }
    }
}
