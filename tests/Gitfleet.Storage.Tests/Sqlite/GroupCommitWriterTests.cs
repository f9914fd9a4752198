using System.Data.Common;
using Dapper;
using Gitfleet.Storage.Sql;
using Gitfleet.TestSupport.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>
/// The group-commit writer on both engines: writes that share one transaction fail alone (a constraint broken, or the
/// work throwing after it wrote), and the others of the same batch commit, each exactly once.
/// </summary>
public sealed class GroupCommitWriterTests
{
    [Theory]
    [InlineData(StoreEngine.Sqlite, false)]
    [InlineData(StoreEngine.Postgres, false)]
    [InlineData(StoreEngine.Postgres, true)] // as PostgresFleetStore runs it: synchronous calls on the writer's thread
    public async Task A_failing_write_fails_alone_and_the_rest_of_its_batch_commits(StoreEngine engine, bool synchronous)
    {
        await using var database = await Database.CreateAsync(engine);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var writer = new GroupCommitWriter(
            async _ =>
            {
                entered.TrySetResult();
                await gate.Task;
                return new Nothing();
            },
            async cancellationToken => synchronous ? new SynchronousConnection(await database.OpenAsync(cancellationToken)) : await database.OpenAsync(cancellationToken),
            (_, _, _) => Task.CompletedTask,
            () => { });

        // The first write takes the writer and waits there, so the next five queue up and form the second batch.
        var first = writer.WriteAsync((c, t) => Insert(c, t, 0));
        await entered.Task;
        var writes = new[]
        {
            writer.WriteAsync((c, t) => Insert(c, t, 1)),
            writer.WriteAsync((c, t) => Insert(c, t, 1)), // the same key again: a constraint fails
            writer.WriteAsync(async (c, t) => await Insert(c, t, 2) + await Insert(c, t, 3)),
            writer.WriteAsync<int>(async (c, t) =>
            {
                await Insert(c, t, 4);
                throw new InvalidOperationException("the work failed after it wrote");
            }),
            writer.WriteAsync((c, t) => Insert(c, t, 5)),
        };
        gate.SetResult();

        (await first).ShouldBe(1);
        (await writes[0]).ShouldBe(1);
        await Should.ThrowAsync<DbException>(() => writes[1]);
        (await writes[2]).ShouldBe(2);
        (await Should.ThrowAsync<InvalidOperationException>(() => writes[3])).Message.ShouldBe("the work failed after it wrote");
        (await writes[4]).ShouldBe(1);
        await using var reader = await database.OpenAsync(CancellationToken.None);
        (await reader.QueryAsync<long>("SELECT k FROM t ORDER BY k")).ShouldBe([0L, 1, 2, 3, 5]);
        (writer.Batches, writer.Writes).ShouldBe((2L, 4L));
        if (synchronous || engine == StoreEngine.Sqlite)
        {
            writer.Waits.ShouldBe(0);
        }
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task A_write_without_a_savepoint_commits_with_its_batch_and_when_it_fails_the_whole_batch_fails(StoreEngine engine)
    {
        await using var database = await Database.CreateAsync(engine);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = 0;
        await using var writer = new GroupCommitWriter(
            async _ =>
            {
                if (Volatile.Read(ref hold) == 1)
                {
                    entered.TrySetResult();
                    await gate.Task;
                }

                return new Nothing();
            },
            async cancellationToken => new SynchronousConnection(await database.OpenAsync(cancellationToken)),
            (_, _, _) => Task.CompletedTask,
            () => { });

        // One batch: isolated writes around a bulk one; all three commit.
        await writer.WriteAsync((c, t) => Insert(c, t, 0));
        (await Task.WhenAll(
            writer.WriteAsync((c, t) => Insert(c, t, 1)),
            writer.WriteAsync(async (c, t) => await Insert(c, t, 2) + await Insert(c, t, 3), isolated: false),
            writer.WriteAsync((c, t) => Insert(c, t, 4)))).ShouldBe([1, 2, 1]);

        // The next batch is held at the writer's door until all of it is queued: a bulk write that breaks a constraint
        // after it wrote has no savepoint to undo it alone, so nothing of its batch commits and every write of it fails.
        Volatile.Write(ref hold, 1);
        var held = writer.WriteAsync((c, t) => Insert(c, t, 5));
        await entered.Task;
        var writes = new[]
        {
            writer.WriteAsync((c, t) => Insert(c, t, 6)),
            writer.WriteAsync(async (c, t) => await Insert(c, t, 7) + await Insert(c, t, 0), isolated: false),
            writer.WriteAsync((c, t) => Insert(c, t, 8)),
        };
        gate.SetResult();
        (await held).ShouldBe(1);
        foreach (var write in writes)
        {
            await Should.ThrowAsync<DbException>(() => write);
        }

        await using var reader = await database.OpenAsync(CancellationToken.None);
        (await reader.QueryAsync<long>("SELECT k FROM t ORDER BY k")).ShouldBe([0L, 1, 2, 3, 4, 5]);
        (await writer.WriteAsync((c, t) => Insert(c, t, 9))).ShouldBe(1); // the writer goes on after a failed batch
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task Disposing_commits_what_was_queued_and_ends_the_writers_thread(StoreEngine engine)
    {
        await using var database = await Database.CreateAsync(engine);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new GroupCommitWriter(
            async _ =>
            {
                await gate.Task;
                return new Nothing();
            },
            async cancellationToken => new SynchronousConnection(await database.OpenAsync(cancellationToken)),
            (_, _, _) => Task.CompletedTask,
            () => { });
        var threads = new System.Collections.Concurrent.ConcurrentBag<int>();
        var writes = Enumerable.Range(0, 20).Select(k => writer.WriteAsync(async (c, t) =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            return await Insert(c, t, k);
        })).ToList();

        var disposing = writer.DisposeAsync().AsTask();
        await Should.ThrowAsync<ObjectDisposedException>(async () => await writer.WriteAsync((c, t) => Insert(c, t, 99)));
        disposing.IsCompleted.ShouldBeFalse("the writer still holds queued writes");
        gate.SetResult();
        await disposing;

        (await Task.WhenAll(writes)).ShouldAllBe(n => n == 1);
        writer.WriterThread.Join(TimeSpan.FromSeconds(10)).ShouldBeTrue("the writer's thread ended");
        threads.Distinct().ShouldBe([writer.WriterThread.ManagedThreadId]);
        await using var reader = await database.OpenAsync(CancellationToken.None);
        (await reader.QueryAsync<long>("SELECT COUNT(*) FROM t")).ShouldBe([20L]);
        await Should.ThrowAsync<ObjectDisposedException>(async () => await writer.WriteAsync((c, t) => Insert(c, t, 100)));
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task A_kept_statement_is_made_once_per_writer_connection_runs_again_after_it_failed_and_only_on_the_writers_thread(StoreEngine engine)
    {
        await using var database = await Database.CreateAsync(engine);
        await using var writer = new GroupCommitWriter(
            _ => ValueTask.FromResult<IDisposable>(new Nothing()),
            async cancellationToken => new SynchronousConnection(await database.OpenAsync(cancellationToken)),
            (_, _, _) => Task.CompletedTask,
            () => { });
        var commands = new List<DbCommand>();
        Task<int> InsertKept(long key) => writer.WriteAsync(async (c, t) =>
        {
            var command = writer.StatementsOf(c)!.Get("INSERT INTO t (k) VALUES (@key)", ["key"], t);
            commands.Add(command);
            command.Parameters[0].Value = key;
            return await command.ExecuteNonQueryAsync();
        });

        (await InsertKept(1)).ShouldBe(1);
        await Should.ThrowAsync<DbException>(() => InsertKept(1)); // the same key: the kept statement fails...
        (await InsertKept(2)).ShouldBe(1); // ...and runs again for the next write, in the next batch
        commands.Distinct().Count().ShouldBe(1, "one command for the SQL, made once on the writer's connection");

        // Anywhere but a write on the writer's thread there is none: a write transaction of its own makes its own.
        await using var other = await database.OpenAsync(CancellationToken.None);
        writer.StatementsOf(other).ShouldBeNull();
        (await writer.WriteAsync(async (c, _) => await Task.Run(() => writer.StatementsOf(c)))).ShouldBeNull();
        await using var reader = await database.OpenAsync(CancellationToken.None);
        (await reader.QueryAsync<long>("SELECT k FROM t ORDER BY k")).ShouldBe([1L, 2]);
    }

    private static Task<int> Insert(DbConnection connection, DbTransaction transaction, long key) =>
        connection.ExecuteAsync("INSERT INTO t (k) VALUES (@key)", new { key }, transaction);

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }

    /// <summary>A table t with a unique key, in a temporary SQLite file or a new PostgreSQL database.</summary>
    private sealed class Database : IAsyncDisposable
    {
        private readonly string? directory;
        private readonly PostgresServer? server;
        private readonly string name;
        private readonly NpgsqlDataSource? source;

        private Database(string? directory, PostgresServer? server, string name)
        {
            this.directory = directory;
            this.server = server;
            this.name = name;
            source = server is null ? null : NpgsqlDataSource.Create(server.ConnectionString(name));
        }

        public static async Task<Database> CreateAsync(StoreEngine engine)
        {
            Database database;
            if (engine == StoreEngine.Postgres)
            {
                var server = await PostgresServer.SharedAsync();
                database = new Database(null, server, await server.CreateDatabaseAsync("group"));
            }
            else
            {
                var directory = Directory.CreateTempSubdirectory("gitfleet-group-").FullName;
                database = new Database(directory, null, Path.Combine(directory, "t.db"));
            }

            await using var connection = await database.OpenAsync(CancellationToken.None);
            await connection.ExecuteAsync("CREATE TABLE t (k BIGINT PRIMARY KEY)");
            return database;
        }

        public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
        {
            if (source is not null)
            {
                return await source.OpenConnectionAsync(cancellationToken);
            }

            var connection = new SqliteConnection($"Data Source={name};Pooling=False");
            await connection.OpenAsync(cancellationToken);
            return connection;
        }

        public async ValueTask DisposeAsync()
        {
            if (source is not null)
            {
                await source.DisposeAsync();
                await server!.DropDatabaseAsync(name);
            }

            if (directory is not null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
