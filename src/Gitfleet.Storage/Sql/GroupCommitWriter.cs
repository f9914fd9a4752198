using System.Collections.Concurrent;
using System.Data.Common;

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
/// <para>
/// The writer is a thread of its own, not work on the thread pool: it runs each batch's statements one after the
/// other and nothing else, so between two statements it never waits for a pool thread behind request work (on
/// PostgreSQL, whose every statement is a round trip, those waits made a storm's first contact three times slower
/// than on SQLite; bench/results/2026-12-07-pg-writer.md). The work it runs is async code: given a connection whose
/// calls complete synchronously (<see cref="SynchronousConnection"/>; Microsoft.Data.Sqlite's are anyway), it runs to
/// its end on this thread; work that does go asynchronous is waited for (and counted in <see cref="Waits"/>).
/// Callers' tasks complete on the thread pool (their continuations never run on the writer's thread).
/// </para>
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    public const int MaxBatch = 512;

    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    private readonly BlockingCollection<IWrite> queue = new(new ConcurrentQueue<IWrite>());
    private readonly Func<CancellationToken, ValueTask<IDisposable>> enterWriter;
    private readonly Func<CancellationToken, ValueTask<DbConnection>> open;
    private readonly Func<DbConnection, DbTransaction, CancellationToken, Task> begin;
    private readonly Action committed;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DbConnection? connection;
    private Savepoints? savepoints;
    private WriterStatements? statements;

    public GroupCommitWriter(
        Func<CancellationToken, ValueTask<IDisposable>> enterWriter,
        Func<CancellationToken, ValueTask<DbConnection>> open,
        Func<DbConnection, DbTransaction, CancellationToken, Task> begin,
        Action committed)
    {
        this.enterWriter = enterWriter;
        this.open = open;
        this.begin = begin;
        this.committed = committed;
        WriterThread = new Thread(Run) { IsBackground = true, Name = "Gitfleet group commit" };
        WriterThread.Start();
    }

    /// <summary>The writer's thread (ends once the writer is disposed and the queue drained).</summary>
    public Thread WriterThread { get; }

    /// <summary>
    /// The statements kept on the writer's connection (<see cref="WriterStatements"/>) when the caller is a write running
    /// on the writer's thread with that connection; null anywhere else (a write transaction of its own, another thread).
    /// </summary>
    public WriterStatements? StatementsOf(DbConnection connection) =>
        Thread.CurrentThread == WriterThread && statements is { } kept && ReferenceEquals(kept.Connection, connection) ? kept : null;

    /// <summary>Batches committed so far and the writes they held (for metrics and the bench).</summary>
    public long Batches => Interlocked.Read(ref batches);

    public long Writes => Interlocked.Read(ref writes);

    /// <summary>Writes whose work did not complete synchronously, so the writer's thread blocked until it did.</summary>
    public long Waits => Interlocked.Read(ref waits);

    private long batches;
    private long writes;
    private long waits;

    /// <summary>
    /// Queues <paramref name="work"/>; completes with its result once the batch holding it committed. Once queued,
    /// the write is carried out even if the caller stops waiting (a write is never half done).
    /// </summary>
    /// <param name="isolated">
    /// True (the default): the write runs in a savepoint of its own and fails alone. False for a bulk write that fails
    /// only when the store itself does (check-in times, provided values: no constraint to break): it runs without a
    /// savepoint, so the pages it changes are not copied into a statement journal first (up to one per device row at
    /// 50,000 check-ins), and if it does throw, the whole batch fails with it, as when the commit fails.
    /// </param>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool isolated = true)
    {
        var write = new Write<T>(work, isolated);
        try
        {
            queue.Add(write);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(GroupCommitWriter), "the store is closed");
        }

        return write.Completion.Task;
    }

    /// <summary>Commits what was queued, stops the thread and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.CompleteAdding();
        try
        {
            await stopped.Task.ConfigureAwait(false);
        }
        finally
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            stopping.Dispose();
            queue.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            var batch = new List<IWrite>(MaxBatch);
            while (queue.TryTake(out var first, Timeout.Infinite))
            {
                batch.Add(first);
                Drain(batch);
                if (batch.Count < MaxBatch)
                {
                    // A short linger lets writes that arrive together share the commit.
                    Thread.Sleep(Linger);
                    Drain(batch);
                }

                Commit(batch);
                batch.Clear();
            }

            Close();
            stopped.TrySetResult();
        }
        catch (Exception e)
        {
            stopped.TrySetException(e);
        }
    }

    private void Drain(List<IWrite> batch)
    {
        while (batch.Count < MaxBatch && queue.TryTake(out var write))
        {
            batch.Add(write);
        }
    }

    private void Commit(List<IWrite> batch)
    {
        var done = new List<IWrite>(batch.Count);
        try
        {
            using var writer = Wait(enterWriter(stopping.Token));
            connection ??= Wait(open(stopping.Token));
            using var transaction = connection.BeginTransaction();
            Wait(begin(connection, transaction, stopping.Token));
            savepoints ??= new Savepoints(connection);
            statements ??= new WriterStatements(connection);
            savepoints.Join(transaction);
            // The savepoint of a write that succeeded stays open until the next write's (one statement pair, one
            // round trip) or the commit: every statement is a round trip on PostgreSQL, and each costs the serial
            // writer two wake-ups on a busy machine.
            var savepointOpen = false;
            foreach (var write in batch)
            {
                if (!write.Isolated)
                {
                    if (savepointOpen)
                    {
                        savepoints.Release.ExecuteNonQuery();
                        savepointOpen = false;
                    }

                    // Throws out of the batch when it fails: the transaction rolls back and every write of it fails.
                    RunCounted(write, connection, transaction);
                    done.Add(write);
                    continue;
                }

                (savepointOpen ? savepoints.ReleaseAndBegin : savepoints.Begin).ExecuteNonQuery();
                savepointOpen = true;
                try
                {
                    RunCounted(write, connection, transaction);
                    done.Add(write);
                }
                catch (Exception e)
                {
                    savepoints.RollBack.ExecuteNonQuery();
                    savepointOpen = false;
                    write.Fail(e);
                }
            }

            transaction.Commit(); // releases the last savepoint too
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

            Close();
            return;
        }

        foreach (var write in done)
        {
            write.Complete();
        }

        committed();
    }

    private void RunCounted(IWrite write, DbConnection connection, DbTransaction transaction)
    {
        if (!write.Run(connection, transaction))
        {
            Interlocked.Increment(ref waits);
        }
    }

    /// <summary>Blocks this thread (the writer's own) until <paramref name="task"/> is done.</summary>
    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    /// <summary>Drops the connection (after a failed batch, or at the end) and the statements kept on it.</summary>
    private void Close()
    {
        savepoints?.Dispose();
        savepoints = null;
        statements?.Dispose();
        statements = null;
        connection?.Dispose();
        connection = null;
    }

    /// <summary>
    /// The savepoint statements around each write, made once per connection: an engine prepares a command's
    /// statement once and reuses it, where a new command per write was prepared again every time (two or three
    /// per write, 11 % of a storm's CPU in a profile).
    /// </summary>
    private sealed class Savepoints(DbConnection connection) : IDisposable
    {
        public DbCommand Begin { get; } = Command(connection, "SAVEPOINT w");

        /// <summary>Ends the previous write's savepoint (before a write that runs without one).</summary>
        public DbCommand Release { get; } = Command(connection, "RELEASE w");

        /// <summary>Ends the previous write's savepoint and starts the next write's, in one command.</summary>
        public DbCommand ReleaseAndBegin { get; } = Command(connection, "RELEASE w; SAVEPOINT w");

        /// <summary>Undoes a failed write and ends its savepoint, in one command.</summary>
        public DbCommand RollBack { get; } = Command(connection, "ROLLBACK TO w; RELEASE w");

        /// <summary>Runs the statements in <paramref name="transaction"/> (each batch's own).</summary>
        public void Join(DbTransaction transaction)
        {
            Begin.Transaction = transaction;
            Release.Transaction = transaction;
            ReleaseAndBegin.Transaction = transaction;
            RollBack.Transaction = transaction;
        }

        public void Dispose()
        {
            Begin.Dispose();
            Release.Dispose();
            ReleaseAndBegin.Dispose();
            RollBack.Dispose();
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
        /// <summary>Runs in a savepoint of its own (fails alone); else a failure fails the batch.</summary>
        bool Isolated { get; }

        /// <summary>Runs the work to its end; false when it did not complete synchronously (the thread waited).</summary>
        bool Run(DbConnection connection, DbTransaction transaction);

        void Complete();

        void Fail(Exception exception);
    }

    private sealed class Write<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool isolated) : IWrite
    {
        private T result = default!;

        public bool Isolated => isolated;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Run(DbConnection connection, DbTransaction transaction)
        {
            var task = work(connection, transaction);
            var synchronous = task.IsCompleted;
            result = task.GetAwaiter().GetResult();
            return synchronous;
        }

        public void Complete() => Completion.TrySetResult(result);

        public void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
