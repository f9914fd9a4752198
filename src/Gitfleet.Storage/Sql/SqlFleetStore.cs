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

    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        using var writer = await EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var applied = (await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();
        var current = applied.Count == 0 ? 0 : applied.Max();
        foreach (var migration in SchemaMigrations.All.Where(m => !applied.Contains(m.Version)).OrderBy(m => m.Version))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(migration.Sql))
            {
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            if (migration.Code is { } code)
            {
                await code(connection, transaction, cancellationToken).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, description, applied_ms) VALUES (@Version, @Description, @Now)",
                new { migration.Version, migration.Description, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            current = migration.Version;
        }

        return current;
    }

    private GroupCommitWriter? group;

    /// <summary>
    /// Runs a small device write through the group-commit writer: it shares a transaction with the writes that
    /// arrive with it, inside its own savepoint; the task completes once that transaction committed.
    /// </summary>
    protected async Task<T> GroupWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work)
    {
        // The write latency a request sees: queued, batched and committed.
        using var observe = new WriteTiming(WriteObserver, System.Diagnostics.Stopwatch.GetTimestamp());
        var writer = Volatile.Read(ref group);
        if (writer is null)
        {
            var created = new GroupCommitWriter(EnterWriterAsync, OpenAsync);
            writer = Interlocked.CompareExchange(ref group, created, null) ?? created;
            if (!ReferenceEquals(writer, created))
            {
                _ = created.DisposeAsync().AsTask();
            }
        }

        return await writer.WriteAsync(work).ConfigureAwait(false);
    }

    /// <summary>Group commits so far and the writes they held.</summary>
    public (long Batches, long Writes) GroupCommits => group is { } writer ? (writer.Batches, writer.Writes) : (0, 0);

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

    /// <summary>Runs <paramref name="work"/> in a write transaction; anything it throws rolls everything back.</summary>
    protected async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var observe = new WriteTiming(WriteObserver, started);
        using var writer = await EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
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
                parameters[i].Value = values[i] ?? DBNull.Value;
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

    /// <summary>Splits a long id list so no statement exceeds an engine's parameter limit.</summary>
    protected static IEnumerable<string[]> Batches(IEnumerable<string> ids, int size = 500) => ids.Distinct(StringComparer.Ordinal).Chunk(size);
}
