using System.Data.Common;
using Microsoft.Data.Sqlite;
using Gitfleet.Storage.Sql;

namespace Gitfleet.Storage.Sqlite;

/// <summary>
/// The embedded engine: one SQLite file in WAL mode (readers never block the writer), a busy timeout, and a
/// single writer at a time inside the process (SQLite has one write lock; queuing here avoids SQLITE_BUSY).
/// </summary>
public sealed class SqliteFleetStore : SqlFleetStore
{
    private readonly string connectionString;
    private readonly SemaphoreSlim writer = new(1, 1);

    private SqliteFleetStore(string path)
    {
        DatabasePath = path;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>Opens (creating if needed) the database file and brings its schema up to date.</summary>
    public static async Task<SqliteFleetStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var store = new SqliteFleetStore(path);
        await using (var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    protected override async ValueTask<IDisposable> EnterWriterAsync(CancellationToken cancellationToken)
    {
        await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(writer);
    }

    /// <summary>A larger page cache while a large decision writes, so index pages stay in memory; back to the default after.</summary>
    protected override async Task BulkWriteAsync(DbConnection connection, DbTransaction transaction, bool starting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = starting ? "PRAGMA cache_size = -131072" : "PRAGMA cache_size = -2000";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT

    public override ValueTask DisposeAsync()
    {
        writer.Dispose();
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
