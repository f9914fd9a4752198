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
/// and SAVEPOINT / RELEASE / ROLLBACK TO are the same SQL in SQLite and PostgreSQL. Right after BEGIN the engine's
/// <c>begin</c> hook runs (PostgreSQL takes its cluster-wide write lock there, as for every other write transaction).
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    public const int MaxBatch = 512;

    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    private readonly Channel<IWrite> queue = Channel.CreateUnbounded<IWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<CancellationToken, ValueTask<IDisposable>> enterWriter;
    private readonly Func<CancellationToken, ValueTask<DbConnection>> open;
    private readonly Func<DbConnection, DbTransaction, CancellationToken, Task> begin;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    private DbConnection? connection;
    private Savepoints? savepoints;

    public GroupCommitWriter(
        Func<CancellationToken, ValueTask<IDisposable>> enterWriter,
        Func<CancellationToken, ValueTask<DbConnection>> open,
        Func<DbConnection, DbTransaction, CancellationToken, Task> begin)
    {
        this.enterWriter = enterWriter;
        this.open = open;
        this.begin = begin;
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
            await CloseAsync().ConfigureAwait(false);
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
            await begin(connection, transaction, stopping.Token).ConfigureAwait(false);
            savepoints ??= new Savepoints(connection);
            savepoints.Join(transaction);
            foreach (var write in batch)
            {
                await savepoints.Begin.ExecuteNonQueryAsync().ConfigureAwait(false);
                try
                {
                    await write.RunAsync(connection, transaction).ConfigureAwait(false);
                    await savepoints.Release.ExecuteNonQueryAsync().ConfigureAwait(false);
                    done.Add(write);
                }
                catch (Exception e)
                {
                    await savepoints.RollBack.ExecuteNonQueryAsync().ConfigureAwait(false);
                    await savepoints.Release.ExecuteNonQueryAsync().ConfigureAwait(false);
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

            await CloseAsync().ConfigureAwait(false);
            return;
        }

        foreach (var write in done)
        {
            write.Complete();
        }
    }

    /// <summary>Drops the connection (after a failed batch, or at the end) and the statements prepared on it.</summary>
    private async Task CloseAsync()
    {
        if (savepoints is not null)
        {
            await savepoints.DisposeAsync().ConfigureAwait(false);
            savepoints = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            connection = null;
        }
    }

    /// <summary>
    /// The savepoint statements around each write, made once per connection: an engine prepares a command's
    /// statement once and reuses it, where a new command per write was prepared again every time (two or three
    /// per write, 11 % of a storm's CPU in a profile).
    /// </summary>
    private sealed class Savepoints(DbConnection connection) : IAsyncDisposable
    {
        public DbCommand Begin { get; } = Command(connection, "SAVEPOINT w");

        public DbCommand Release { get; } = Command(connection, "RELEASE w");

        public DbCommand RollBack { get; } = Command(connection, "ROLLBACK TO w");

        /// <summary>Runs the statements in <paramref name="transaction"/> (each batch's own).</summary>
        public void Join(DbTransaction transaction)
        {
            Begin.Transaction = transaction;
            Release.Transaction = transaction;
            RollBack.Transaction = transaction;
        }

        public async ValueTask DisposeAsync()
        {
            await Begin.DisposeAsync().ConfigureAwait(false);
            await Release.DisposeAsync().ConfigureAwait(false);
            await RollBack.DisposeAsync().ConfigureAwait(false);
        }

        private static DbCommand Command(DbConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }
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
