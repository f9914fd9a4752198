using System.Data.Common;
using System.Text.Json;
using Dapper;
using Gitfleet.Core.Reconcile;
using Gitfleet.Storage.Cluster;
using Gitfleet.Storage.Sql;
using Npgsql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// The shared engine: one PostgreSQL database for any number of server processes. It supplies what the SQL engine
/// template asks of an engine (pooled connections, its writer rule, its unique-violation test) and, as an
/// <see cref="IClusterStore"/>, the leader lease, the change feed and the shared secrets.
/// Writer rule: one writer at a time across the cluster (a transaction-level advisory lock), queued first inside
/// the process so waiting writers do not each hold a connection. The shared SQL reads and then writes ("next
/// sequence number", "is this identity known?") and is correct under one writer, as on SQLite.
/// </summary>
public sealed class PostgresFleetStore : SqlFleetStore, IClusterStore
{
    /// <summary>The advisory lock key of the cluster-wide writer (also taken by the change-feed triggers).</summary>
    public const long WriteLockKey = 0x6769746672656574; // "gitfreet": any fixed 64-bit number of our own

    private readonly NpgsqlDataSource dataSource;
    private readonly NpgsqlDataSource writerSource;
    private readonly WriterQueue writer = new();

    private PostgresFleetStore(PostgresLocation location)
    {
        Location = location;
        dataSource = new NpgsqlDataSourceBuilder(location.ConnectionString()).Build();
        writerSource = new NpgsqlDataSourceBuilder(location.ConnectionString(b => b.Pooling = false)).Build();
        Changes = new PostgresChangeFeed(location, dataSource);
    }

    /// <summary>Where the database is (no password).</summary>
    public PostgresLocation Location { get; }

    public IChangeFeed Changes { get; }

    /// <summary>Connects and brings the schema up to date (several replicas may do it at once).</summary>
    public static async Task<PostgresFleetStore> OpenAsync(PostgresLocation location, CancellationToken cancellationToken)
    {
        var store = new PostgresFleetStore(location);
        try
        {
            await store.CheckCollationAsync(cancellationToken).ConfigureAwait(false);
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The shared SQL streams rows ordered by id and merges them in that order, which must be the byte order SQLite
    /// uses: a database whose collation sorts by language rules would interleave ids differently. Refused at start,
    /// with how to create a suitable database, rather than misread later.
    /// </summary>
    private async Task CheckCollationAsync(CancellationToken cancellationToken)
    {
        var collation = (await QueryAsync<string>("SELECT datcollate FROM pg_database WHERE datname = current_database()", null, cancellationToken).ConfigureAwait(false))[0];
        if (collation is not ("C" or "POSIX" or "C.UTF-8" or "C.utf8"))
        {
            throw new InvalidOperationException(
                $"the database {Location.Database} sorts text as '{collation}'; Gitfleet needs byte order: create it with " +
                $"CREATE DATABASE {Location.Database} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' (docs/operations.md)");
        }
    }

    protected override IReadOnlyList<Migration> EngineMigrations => PostgresMigrations.All;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The group-commit writer's connection: its calls run synchronously on the writer's own thread, so a batch's
    /// round trips never wait for a thread-pool thread (see <see cref="SynchronousConnection"/>). A connection of its
    /// own, opened and used only synchronously: its socket stays in blocking mode, so a reply wakes the writer's thread
    /// directly; a pooled connection's socket, once used asynchronously, is non-blocking for good, and each reply to a
    /// synchronous call first wakes .NET's socket-event thread, which then wakes the writer (a third wake-up per round
    /// trip, each about 0.1-0.3 ms on a saturated 2-core machine).
    /// </summary>
    protected internal override ValueTask<DbConnection> OpenGroupWriterAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbConnection>(new SynchronousConnection(writerSource.OpenConnection()));

    protected override ValueTask<IDisposable> EnterWriterAsync(CancellationToken cancellationToken) => writer.EnterAsync(cancellationToken);

    protected override Task BeginWriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(Command($"SELECT pg_advisory_xact_lock({WriteLockKey})", null, transaction, cancellationToken));

    /// <summary>
    /// The fence check of a leader's write transaction. It locks the lease row FOR KEY SHARE, and the token is part of a
    /// unique key (migration 1003): a takeover, which changes the token, waits until this transaction ends, and a
    /// transaction that starts after a takeover reads the new token and is refused; the holder's renewal, which changes
    /// only the expiry, does not wait. (FOR SHARE made the renewal wait behind the leader's own writes: a wave's
    /// decision longer than the lease let the lease lapse, and the leader lost its term to its own write.)
    /// </summary>
    internal const string FenceCheck = "SELECT token FROM leader_lease WHERE name = @Lease FOR KEY SHARE";

    protected override async Task CheckFenceAsync(DbConnection connection, DbTransaction transaction, LeaderFence fence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fence);
        var current = await connection.ExecuteScalarAsync<long?>(Command(
            FenceCheck, new { fence.Lease }, transaction, cancellationToken)).ConfigureAwait(false);
        if (current != fence.Token)
        {
            throw new FencedWriteException(fence.Lease, fence.Token, current);
        }
    }

    protected override string InList(string parameter) => $"= ANY({parameter})";

    /// <summary>Fewer rows than this go through one prepared statement per row: COPY's staging table costs four round trips.</summary>
    public const int DefaultBulkCopyMinimumRows = 64;

    /// <summary>From how many rows a bulk write goes through binary COPY (the bench sets it beyond reach to compare).</summary>
    public int BulkCopyMinimumRows { get; set; } = DefaultBulkCopyMinimumRows;

    protected override async Task<int> BulkInsertAsync<T>(
        DbConnection connection, DbTransaction transaction, BulkTable table, IReadOnlyCollection<T> rows, Action<T, object?[]> bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Count < BulkCopyMinimumRows
            ? await base.BulkInsertAsync(connection, transaction, table, rows, bind, cancellationToken).ConfigureAwait(false)
            : await PostgresBulkCopy.InsertAsync((NpgsqlConnection)SynchronousConnection.Unwrap(connection), table, rows, bind, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A statement per row, all rows in one round trip (<see cref="PostgresStatementBatch"/>).</summary>
    protected override Task<int> BulkAsync<T>(
        DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<string> names, IEnumerable<T> rows, Action<T, object?[]> bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(bind);
        return PostgresStatementBatch.ExecuteAsync(connection, transaction, sql, names, rows, bind, cancellationToken);
    }

    private static readonly Action<DbParameter> Jsonb = p => ((NpgsqlParameter)p).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb;
    private static readonly Action<DbParameter> JsonbArray = p => ((NpgsqlParameter)p).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb;

    /// <summary>
    /// A device's changed attributes as before here: one single-row statement per attribute, all sent in one round trip
    /// (<see cref="BulkAsync"/>: a prepared batch). The shared path's one statement of many rows is a new statement shape,
    /// and a new shape of the writer's statements once made PostgreSQL's first contact stall (branch pg-first,
    /// docs/benchmarks.md); this one was not measured on PostgreSQL, so PostgreSQL keeps what was.
    /// </summary>
    private protected override Task UpsertAttributesAsync(
        DbConnection connection, DbTransaction transaction, string deviceId, string scope, IReadOnlyList<KeyValuePair<string, string>> changed, long ms, CancellationToken cancellationToken) =>
        BulkAsync(connection, transaction, UpsertAttributeSql, ["device", "scope", "name", "value", "now"], changed,
            (a, v) => (v[0], v[1], v[2], v[3], v[4]) = (deviceId, scope, a.Key, Json(a.Value), ms), cancellationToken);

    protected override Action<DbParameter>? JsonType => Jsonb;

    protected override Action<DbParameter>? JsonArrayType => JsonbArray;

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public ILeaderLease Lease(string name, string holder, TimeSpan duration) => new PostgresLeaderLease(dataSource, name, holder, duration);

    public async Task<string> GetOrAddSecretAsync(string name, Func<string> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(create);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var stored = await connection.ExecuteScalarAsync<string?>(Command(
            "SELECT value FROM cluster_secrets WHERE name = @name", new { name }, null, cancellationToken)).ConfigureAwait(false);
        if (stored is not null)
        {
            return stored;
        }

        // Two replicas starting together may both create one: the first insert wins and both read it back.
        await connection.ExecuteAsync(Command(
            "INSERT INTO cluster_secrets (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
            new { name, value = create() }, null, cancellationToken)).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string>(Command(
            "SELECT value FROM cluster_secrets WHERE name = @name", new { name }, null, cancellationToken)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the shared secret '{name}' vanished");
    }

    public Task SaveBranchStatusAsync(BranchStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var statusJson = JsonSerializer.Serialize(status, ReconcileJson.Context.BranchStatus);
        return WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            """
            INSERT INTO branch_status (branch, status_json, updated_at) VALUES (@branch, @statusJson, now())
            ON CONFLICT (branch) DO UPDATE SET status_json = excluded.status_json, updated_at = excluded.updated_at
            """, new { branch = status.Branch, statusJson }, transaction, cancellationToken)), cancellationToken);
    }

    public async Task<BranchStatus?> GetBranchStatusAsync(string branch, CancellationToken cancellationToken) =>
        (await QueryAsync<string>("SELECT status_json FROM branch_status WHERE branch = @branch", new { branch }, cancellationToken).ConfigureAwait(false))
            .Select(json => JsonSerializer.Deserialize(json, ReconcileJson.Context.BranchStatus)).FirstOrDefault();

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await CloseGroupWriterAsync().ConfigureAwait(false);
        await dataSource.DisposeAsync().ConfigureAwait(false);
        await writerSource.DisposeAsync().ConfigureAwait(false);
        writer.Dispose();
    }
}
