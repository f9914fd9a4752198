using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// The store over portable SQL (ADO.NET + Dapper). An engine supplies connections, its write discipline and
/// how it recognises a unique-key violation; everything else is shared, so a second engine is a small subclass.
/// </summary>
public abstract partial class SqlFleetStore : IFleetStore
{
    static SqlFleetStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>An open connection for reading (pooled).</summary>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Serialises writers where the engine needs it (SQLite has one writer); disposing releases it.</summary>
    protected abstract ValueTask<IDisposable> EnterWriterAsync(CancellationToken cancellationToken);

    /// <summary>True when the exception is a unique-constraint violation.</summary>
    protected abstract bool IsUniqueViolation(DbException exception);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Called before (<paramref name="starting"/>) and after a transaction that writes several hundred thousand
    /// rows (a rollout decision over a large fleet): an engine may tune its connection for it.
    /// </summary>
    protected virtual Task BulkWriteAsync(DbConnection connection, DbTransaction transaction, bool starting, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called on the connection of such a transaction once it committed (<paramref name="committed"/>) or rolled back,
    /// before the connection goes back to the pool: an engine undoes what <see cref="BulkWriteAsync"/> set that
    /// must outlive the commit, and may start work the commit left for later.
    /// </summary>
    protected virtual Task BulkFinishedAsync(DbConnection connection, bool committed) => Task.CompletedTask;

    /// <summary>
    /// Migrations only this engine has (triggers, engine-only tables), applied after <see cref="SchemaMigrations.All"/>
    /// and recorded in the same table; their versions are 1000 and up so they never collide with shared ones.
    /// </summary>
    protected virtual IReadOnlyList<Migration> EngineMigrations => [];

    /// <summary>
    /// Brings the schema up to date. Safe when several processes race on an empty database (replicas starting
    /// together): every step runs in a write transaction (<see cref="BeginWriteAsync"/> serialises them across
    /// processes where the engine needs it) and checks again, inside it, whether another process applied it first.
    /// </summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
            null, transaction, cancellationToken)), cancellationToken).ConfigureAwait(false);
        var applied = (await QueryAsync<int>("SELECT version FROM schema_migrations", null, cancellationToken).ConfigureAwait(false)).ToHashSet();
        foreach (var migration in SchemaMigrations.All.Concat(EngineMigrations).Where(m => !applied.Contains(m.Version)).OrderBy(m => m.Version))
        {
            await WriteAsync(async (connection, transaction) =>
            {
                if (await connection.ExecuteScalarAsync<long>(Command(
                    "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { migration.Version }, transaction, cancellationToken)).ConfigureAwait(false) > 0)
                {
                    return 0;
                }

                if (!string.IsNullOrWhiteSpace(migration.Sql))
                {
                    await connection.ExecuteAsync(Command(migration.Sql, null, transaction, cancellationToken)).ConfigureAwait(false);
                }

                if (migration.Code is { } code)
                {
                    await code(connection, transaction, cancellationToken).ConfigureAwait(false);
                }

                return await connection.ExecuteAsync(Command(
                    "INSERT INTO schema_migrations (version, description, applied_ms) VALUES (@Version, @Description, @Now)",
                    new { migration.Version, migration.Description, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    transaction, cancellationToken)).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }

        return (await QueryAsync<int>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE version < 1000", null, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Called right after BEGIN of every write transaction. An engine whose writers live in several processes takes
    /// its cluster-wide write lock here; the shared SQL reads and then writes (next sequence number, "is this
    /// identity known?") and relies on one writer at a time, as SQLite gives it.
    /// </summary>
    protected virtual Task BeginWriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Checks, inside the write transaction, that <paramref name="fence"/> is still the leader's current token, and
    /// throws <see cref="Cluster.FencedWriteException"/> when a newer leader took over (the transaction rolls back).
    /// An engine with one process (SQLite) has nobody to be fenced from.
    /// </summary>
    protected virtual Task CheckFenceAsync(DbConnection connection, DbTransaction transaction, Cluster.LeaderFence fence, CancellationToken cancellationToken) => Task.CompletedTask;

    private GroupCommitWriter? group;

    /// <summary>
    /// Runs a small device write through the group-commit writer: it shares a transaction with the writes that
    /// arrive with it, inside its own savepoint; the task completes once that transaction committed.
    /// </summary>
    /// <param name="isolated">False for a bulk write that cannot break a constraint (see <see cref="GroupCommitWriter.WriteAsync{T}"/>).</param>
    protected async Task<T> GroupWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool isolated = true)
    {
        // The write latency a request sees: queued, batched and committed.
        using var observe = new WriteTiming(WriteObserver, System.Diagnostics.Stopwatch.GetTimestamp());
        var writer = Volatile.Read(ref group);
        if (writer is null)
        {
            var created = new GroupCommitWriter(EnterWriterAsync, OpenGroupWriterAsync, BeginWriteAsync, GroupCommitted);
            writer = Interlocked.CompareExchange(ref group, created, null) ?? created;
            if (!ReferenceEquals(writer, created))
            {
                _ = created.DisposeAsync().AsTask();
            }
        }

        return await writer.WriteAsync(work, isolated).ConfigureAwait(false);
    }

    /// <summary>
    /// A device write's statement: on the group-commit writer, its kept command (prepared once per connection, see
    /// <see cref="WriterStatements"/>); elsewhere (a write transaction of its own) a new one, disposed after. The SQL
    /// must be one of a fixed set of texts; <paramref name="names"/> are its parameters, bound in that order.
    /// </summary>
    private protected Statement WriterStatement(DbConnection connection, DbTransaction transaction, string sql, params string[] names)
    {
        if (Volatile.Read(ref group)?.StatementsOf(connection) is { } kept)
        {
            return new Statement(kept.Get(sql, names, transaction), Owned: false);
        }

        var command = WriterStatements.Create(connection, sql, names);
        command.Transaction = transaction;
        return new Statement(command, Owned: true);
    }

    /// <summary>A command and whether disposing the statement disposes it (a kept one stays for the next write).</summary>
    private protected readonly record struct Statement(DbCommand Command, bool Owned) : IDisposable
    {
        /// <summary>Sets the parameters' values in the order of their names (a <see cref="TypedValue"/> sets its type too).</summary>
        public Statement Bind(params ReadOnlySpan<object?> values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                Set(Command.Parameters[i], values[i]);
            }

            return this;
        }

        /// <summary>Sets one parameter's value (a <see cref="TypedValue"/> sets its engine type too; null is SQL NULL).</summary>
        public static void Set(DbParameter parameter, object? value)
        {
            if (value is TypedValue typed)
            {
                typed.Bind(parameter);
            }
            else
            {
                parameter.Value = value ?? DBNull.Value;
            }
        }

        public void Dispose()
        {
            if (Owned)
            {
                Command.Dispose();
            }
        }
    }

    /// <summary>
    /// The group-commit writer's own connection, kept open while the writer runs (closed after a failed batch): an
    /// engine may tune it for the many small writes (SQLite gives it a large page cache). By default a pooled one.
    /// </summary>
    protected internal virtual ValueTask<DbConnection> OpenGroupWriterAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Told on the writer's thread after each group transaction committed and its writes were answered.</summary>
    protected virtual void GroupCommitted()
    {
    }

    /// <summary>Group commits so far, the writes they held, and the writes the writer had to wait for (not synchronous).</summary>
    public (long Batches, long Writes, long Waits) GroupCommits => group is { } writer ? (writer.Batches, writer.Writes, writer.Waits) : (0, 0, 0);

    /// <summary>Commits what the group-commit writer holds and stops it (engines call this first when they close).</summary>
    protected async ValueTask CloseGroupWriterAsync()
    {
        if (Interlocked.Exchange(ref group, null) is { } writer)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Told how long each write transaction took, from waiting for the writer to its commit (the server's metrics).</summary>
    public Action<TimeSpan>? WriteObserver { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction; anything it throws rolls everything back. Inside a
    /// <see cref="Cluster.LeaderFence"/> scope (the leader's rollout engine and git watcher), the transaction first
    /// proves the fence is current, so a paused former leader can never commit a decision.
    /// </summary>
    protected Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, finished: null, cancellationToken);

    /// <param name="finished">Runs on the transaction's connection after the commit (true) or the failure (false).</param>
    protected async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, Func<DbConnection, bool, Task>? finished, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var observe = new WriteTiming(WriteObserver, started);
        using var writer = await EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await BeginWriteAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (Cluster.LeaderFence.Current is { } fence)
        {
            await CheckFenceAsync(connection, transaction, fence, cancellationToken).ConfigureAwait(false);
        }

        T result;
        try
        {
            result = await work(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (finished is not null)
        {
            await finished(connection, false).ConfigureAwait(false);
            throw;
        }

        if (finished is not null)
        {
            await finished(connection, true).ConfigureAwait(false);
        }

        return result;
    }

    private readonly struct WriteTiming(Action<TimeSpan>? observer, long started) : IDisposable
    {
        public void Dispose() => observer?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    protected async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    protected async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
    }

    /// <summary>Streams a query row by row (unbuffered): one query, constant memory.</summary>
    protected async IAsyncEnumerable<T> StreamAsync<T>(string sql, object? parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var parser = reader.GetRowParser(typeof(T));
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return (T)parser(reader);
        }
    }

    protected static CommandDefinition Command(string sql, object? parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, cancellationToken: cancellationToken);

    protected static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    protected static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    protected static DateTimeOffset? FromMs(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    /// <summary>
    /// Runs one prepared statement for many rows, reusing its parameters (named <c>@name</c> in the SQL): bulk
    /// writes of hundreds of thousands of rows without parsing or binding the statement again per row.
    /// </summary>
    protected virtual async Task<int> BulkAsync<T>(
        DbConnection connection,
        DbTransaction transaction,
        string sql,
        IReadOnlyList<string> names,
        IEnumerable<T> rows,
        Action<T, object?[]> bind,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(bind);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var parameters = new DbParameter[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            parameters[i] = command.CreateParameter();
            parameters[i].ParameterName = "@" + names[i];
            command.Parameters.Add(parameters[i]);
        }

        var values = new object?[names.Count];
        var prepared = false;
        var count = 0;
        foreach (var row in rows)
        {
            bind(row, values);
            for (var i = 0; i < values.Length; i++)
            {
                Statement.Set(parameters[i], values[i]);
            }

            if (!prepared)
            {
                await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                prepared = true;
            }

            count += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>
    /// Writes many rows into one table (see <see cref="BulkTable"/>). Here one prepared statement per row; an engine
    /// with a faster path for many rows (PostgreSQL's binary COPY) overrides it.
    /// </summary>
    protected virtual Task<int> BulkInsertAsync<T>(
        DbConnection connection,
        DbTransaction transaction,
        BulkTable table,
        IReadOnlyCollection<T> rows,
        Action<T, object?[]> bind,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        return BulkAsync(connection, transaction,
            $"INSERT INTO {table.Table} ({table.ColumnList}) VALUES ({string.Join(", ", table.Columns.Select(c => "@" + c))}){table.Conflict}",
            table.Columns, rows, bind, cancellationToken);
    }

    /// <summary>
    /// JSON text as the engine keeps it, for a parameter or a bulk row: the text itself where maps are TEXT (SQLite),
    /// a <c>jsonb</c> parameter on PostgreSQL (migration 1002).
    /// </summary>
    protected TypedValue Json(string? json) => new(json, JsonType);

    /// <summary>A list of JSON texts for <see cref="InList"/>: the list itself (Dapper expands it), or one typed array.</summary>
    protected object JsonList(IReadOnlyList<string> json) => JsonArrayType is { } type ? new TypedValue(json.ToArray(), type) : json;

    /// <summary>Sets an engine's JSON type on a parameter; null where JSON is text.</summary>
    protected virtual Action<DbParameter>? JsonType => null;

    /// <summary>Sets an engine's array-of-JSON type on a parameter; null where lists are expanded into IN (…).</summary>
    protected virtual Action<DbParameter>? JsonArrayType => null;

    /// <summary>
    /// "is in the list parameter <paramref name="parameter"/>" in the engine's SQL: <c>IN @ids</c> (Dapper expands the
    /// list) or, where Dapper passes the list as an array (PostgreSQL), <c>= ANY(@ids)</c>.
    /// </summary>
    protected virtual string InList(string parameter) => "IN " + parameter;

    /// <summary>Splits a long id list so no statement exceeds an engine's parameter limit.</summary>
    protected static IEnumerable<string[]> Batches(IEnumerable<string> ids, int size = 500) => ids.Distinct(StringComparer.Ordinal).Chunk(size);
}
