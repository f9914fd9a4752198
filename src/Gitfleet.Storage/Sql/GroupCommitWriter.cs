using System.Data.Common;
using System.Threading.Channels;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// Group commit for the many small writes of devices (auth requests, inventory, deployment statuses, logs,
/// check-ins, provides): one writer collects the writes that arrive together and commits them in one shared
/// transaction. A batch closes when it holds <see cref="MaxBatch"/> writes, or when no more arrive within a
/// short linger (about a millisecond); under load batches form on their own while the previous one commits.
/// Each write runs inside its own savepoint, so a write that fails (bad input, a constraint) is rolled back
/// alone and fails alone; the others commit. A caller's task completes only after the transaction that holds its
/// write committed, so an acknowledged write is never lost; when the commit itself fails, every write of the
/// batch fails. Engine-agnostic: an engine supplies its connections and its writer rule through the store,
/// and SAVEPOINT / RELEASE / ROLLBACK TO are the same SQL in SQLite and PostgreSQL.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    public const int MaxBatch = 512;

    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    private readonly Channel<IWrite> queue = Channel.CreateUnbounded<IWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<CancellationToken, ValueTask<IDisposable>> enterWriter;
    private readonly Func<CancellationToken, ValueTask<DbConnection>> open;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    private DbConnection? connection;

    public GroupCommitWriter(Func<CancellationToken, ValueTask<IDisposable>> enterWriter, Func<CancellationToken, ValueTask<DbConnection>> open)
    {
        this.enterWriter = enterWriter;
        this.open = open;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Batches committed so far and the writes they held (for metrics and the bench).</summary>
    public long Batches => Interlocked.Read(ref batches);

    public long Writes => Interlocked.Read(ref writes);

    private long batches;
    private long writes;

    /// <summary>
    /// Queues <paramref name="work"/>; completes with its result once the batch holding it committed. Once queued,
    /// the write is carried out even if the caller stops waiting (a write is never half done).
    /// </summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work)
    {
        var write = new Write<T>(work);
        if (!queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(GroupCommitWriter), "the store is closed");
        }

        return write.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        try
        {
            await loop.ConfigureAwait(false);
        }
        finally
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            stopping.Dispose();
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<IWrite>(MaxBatch);
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            if (batch.Count < MaxBatch)
            {
                // A short linger lets writes that arrive together share the commit.
                await Task.Delay(Linger).ConfigureAwait(false);
                while (batch.Count < MaxBatch && reader.TryRead(out var write))
                {
                    batch.Add(write);
                }
            }

            await CommitAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task CommitAsync(List<IWrite> batch)
    {
        var done = new List<IWrite>(batch.Count);
        try
        {
            using var writer = await enterWriter(stopping.Token).ConfigureAwait(false);
            connection ??= await open(stopping.Token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(stopping.Token).ConfigureAwait(false);
            foreach (var write in batch)
            {
                await ExecuteAsync(connection, transaction, "SAVEPOINT w").ConfigureAwait(false);
                try
                {
                    await write.RunAsync(connection, transaction).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, "RELEASE w").ConfigureAwait(false);
                    done.Add(write);
                }
                catch (Exception e)
                {
                    await ExecuteAsync(connection, transaction, "ROLLBACK TO w").ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, "RELEASE w").ConfigureAwait(false);
                    write.Fail(e);
                }
            }

            await transaction.CommitAsync(stopping.Token).ConfigureAwait(false);
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref writes, done.Count);
        }
        catch (Exception e)
        {
            // The transaction did not commit: nothing of this batch is stored, so every write of it fails.
            foreach (var write in batch)
            {
                write.Fail(e);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                connection = null;
            }

            return;
        }

        foreach (var write in done)
        {
            write.Complete();
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private interface IWrite
    {
        Task RunAsync(DbConnection connection, DbTransaction transaction);

        void Complete();

        void Fail(Exception exception);
    }

    private sealed class Write<T>(Func<DbConnection, DbTransaction, Task<T>> work) : IWrite
    {
        private T result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(DbConnection connection, DbTransaction transaction) => result = await work(connection, transaction).ConfigureAwait(false);

        public void Complete() => Completion.TrySetResult(result);

        public void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
