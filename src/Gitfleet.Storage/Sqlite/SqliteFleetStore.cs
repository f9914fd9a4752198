using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Gitfleet.Storage.Sql;

namespace Gitfleet.Storage.Sqlite;

/// <summary>
/// The embedded engine: one SQLite file in WAL mode (readers never block the writer), a busy timeout, and a
/// single writer at a time inside the process (SQLite has one write lock; queuing here avoids SQLITE_BUSY).
/// </summary>
public sealed class SqliteFleetStore : SqlFleetStore
{
    private readonly string connectionString;
    private readonly WriterQueue writer = new();
    private readonly PreparedReads preparedReads;
    private readonly LogCheckpointer checkpointer;

    private SqliteFleetStore(string path)
    {
        preparedReads = new PreparedReads(async cancellationToken => (SqliteConnection)await OpenAsync(cancellationToken).ConfigureAwait(false));
        DatabasePath = path;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        checkpointer = new LogCheckpointer(connectionString, ConnectionPragmas, writer.EnterAsync);
    }

    public string DatabasePath { get; }

    /// <summary>The pooled connections' string (a test opens the pool's most recent connection with it).</summary>
    internal string ConnectionString => connectionString;

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

    /// <summary>Every connection's own settings (the group writer's adds its page cache).</summary>
    private const string ConnectionPragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

    /// <summary>Physical connections (pooled ones are reused) whose per-connection settings are made already.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<sqlite3, object> configured = [];

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (connection.Handle is { } handle && configured.TryAdd(handle, this))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return connection;
    }

    /// <summary>
    /// The group-commit writer's page cache, in KiB (128 MiB): room for the pages a rollout wave writes at random over a
    /// large fleet (device, device-deployment and attribute rows and their indexes). With SQLite's default 2 MB a
    /// wave over 100,000 devices read most of those pages back from the OS on every write (7,700-14,700 preads/s).
    /// </summary>
    public const int GroupWriterCacheKiB = 131072;

    /// <summary>
    /// A connection of its own, not pooled (closing it frees its cache; a pooled one would lend the large cache to
    /// reads), with the same settings as every other, a large page cache, and statement journals in memory
    /// (<c>temp_store = MEMORY</c>). Each group write runs in a savepoint, and SQLite copies every page a savepoint
    /// changes into a statement journal first; past 64 KiB (a first inventory: 17 attribute rows on as many index
    /// pages) that journal went to a temporary file, created, written and deleted again for every such write: 45 % of
    /// the bytes a first-contact storm wrote (370 against 202 KiB per device) and about a tenth of its store CPU
    /// (bench/first-contact-cost.sh). A write's journal is a handful of pages; the bulk group writes (check-in times,
    /// provided values) run without a savepoint, so no journal holds a large flush.
    /// </summary>
    protected internal override async ValueTask<DbConnection> OpenGroupWriterAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = ConnectionPragmas + FormattableString.Invariant($" PRAGMA cache_size = -{GroupWriterCacheKiB}; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {GroupWriterAutoCheckpointPages};");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// The group writer's automatic checkpoint, in pages of log (64 MiB): only a bound. Its commits ask
    /// <see cref="LogCheckpointer"/> to copy the log beside it (<see cref="GroupCommitted"/>), so the writer no
    /// longer stops every 1,000 pages (SQLite's default) to copy them and sync both files while the requests of the
    /// batch it just committed wait for their answers; a page a first-contact storm changes again and again is copied
    /// once per checkpoint, not once per 4 MiB of log (bench/first-contact-cost.sh: 191 against 235 KiB written per
    /// device with a larger bound, first-contact-2).
    /// </summary>
    public const int GroupWriterAutoCheckpointPages = 16384;

    protected override void GroupCommitted() => checkpointer.Request();

    protected override ValueTask<IDisposable> EnterWriterAsync(CancellationToken cancellationToken) => writer.EnterAsync(cancellationToken);

    /// <summary>
    /// Bulk writes through SQLite's own API: one prepared statement, parameters bound by position from pooled UTF-8
    /// buffers, step and reset per row. The ADO.NET path binds every parameter by name and allocates a binder per
    /// value, which at several hundred thousand rows costs more than SQLite's own work.
    /// </summary>
    protected override Task<int> BulkAsync<T>(
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
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var indexes = names.Select(n => raw.sqlite3_bind_parameter_index(statement, "@" + n)).ToArray();
            var values = new object?[names.Count];
            var count = 0;
            foreach (var row in rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bind(row, values);
                for (var i = 0; i < values.Length; i++)
                {
                    // A typed value (JSON) is its text here: SQLite keeps maps as TEXT.
                    Check(db, (values[i] is Sql.TypedValue typed ? typed.Value : values[i]) switch
                    {
                        null => raw.sqlite3_bind_null(statement, indexes[i]),
                        string text => BindText(statement, indexes[i], text, ref buffer),
                        long number => raw.sqlite3_bind_int64(statement, indexes[i], number),
                        int number => raw.sqlite3_bind_int64(statement, indexes[i], number),
                        bool flag => raw.sqlite3_bind_int64(statement, indexes[i], flag ? 1 : 0),
                        var other => throw new ArgumentException($"cannot bind a {other.GetType().Name}", nameof(bind)),
                    });
                }

                var step = raw.sqlite3_step(statement);
                if (step != raw.SQLITE_DONE)
                {
                    Check(db, step);
                }

                count += raw.sqlite3_changes(db);
                raw.sqlite3_reset(statement);
            }

            return Task.FromResult(count);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            raw.sqlite3_finalize(statement);
        }
    }

    /// <summary>Bulk reads through SQLite's own API: column text is looked up in the pool as UTF-8, so repeated values allocate nothing.</summary>
    private protected override async Task ReadAllAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<IRow> onRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(onRow);
        await using var connection = (SqliteConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            foreach (var (name, value) in parameters)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, name);
                Check(db, value switch
                {
                    string text => BindText(statement, index, text, ref buffer),
                    long number => raw.sqlite3_bind_int64(statement, index, number),
                    int number => raw.sqlite3_bind_int64(statement, index, number),
                    var other => throw new ArgumentException($"cannot bind a {other.GetType().Name}", nameof(parameters)),
                });
            }

            var row = new StatementRow(statement);
            int step;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                cancellationToken.ThrowIfCancellationRequested();
                onRow(row);
            }

            if (step != raw.SQLITE_DONE)
            {
                Check(db, step);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            raw.sqlite3_finalize(statement);
        }
    }

    /// <summary>The hot point reads through statements prepared once (<see cref="PreparedReads"/>).</summary>
    private protected override Task ReadPreparedAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<IRow> onRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(onRow);
        return preparedReads.ReadAsync(sql, parameters, statement => onRow(new StatementRow(statement)), cancellationToken);
    }

    private sealed class StatementRow(sqlite3_stmt statement) : IRow
    {
        public bool IsNull(int ordinal) => raw.sqlite3_column_type(statement, ordinal) == raw.SQLITE_NULL;

        public long GetInt64(int ordinal) => raw.sqlite3_column_int64(statement, ordinal);

        public string GetString(int ordinal) => System.Text.Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, ordinal));

        public string GetPooled(int ordinal, StringPool pool) => pool.Intern(raw.sqlite3_column_blob(statement, ordinal));

        public string? GetKnown(int ordinal, StringPool pool) => pool.Find(raw.sqlite3_column_blob(statement, ordinal));

        public bool Is(int ordinal, string text)
        {
            var utf8 = raw.sqlite3_column_blob(statement, ordinal);
            return System.Text.Ascii.Equals(utf8, text) || (!System.Text.Ascii.IsValid(utf8) && System.Text.Encoding.UTF8.GetString(utf8) == text);
        }

        public string GetPooledAttribute(int ordinal, StringPool pool)
        {
            var json = raw.sqlite3_column_blob(statement, ordinal);
            return json.Length >= 2 && json[0] == (byte)'"' && json[^1] == (byte)'"' && json[1..^1].IndexOfAny((byte)'"', (byte)'\\') < 0
                ? pool.Intern(json[1..^1])
                : pool.Intern(JsonMaps.AttributeText(System.Text.Encoding.UTF8.GetString(json)));
        }
    }

    internal static int BindText(sqlite3_stmt statement, int index, string text, ref byte[] buffer)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max > buffer.Length)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        }

        var length = System.Text.Encoding.UTF8.GetBytes(text, buffer);
        return raw.sqlite3_bind_text(statement, index, buffer.AsSpan(0, length));
    }

    internal static void Check(sqlite3 db, int code)
    {
        if (code != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), code);
        }
    }

    /// <summary>
    /// A larger page cache while a large decision writes, so index pages stay in memory (back to the default after),
    /// and no automatic checkpoint at its commit (<see cref="BulkFinishedAsync"/>).
    /// </summary>
    protected override async Task BulkWriteAsync(DbConnection connection, DbTransaction transaction, bool starting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = starting ? "PRAGMA cache_size = -131072; PRAGMA wal_autocheckpoint = 0;" : "PRAGMA cache_size = -2000";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SQLite's default: a commit that leaves the log at this many pages or more checkpoints it.</summary>
    private const int AutoCheckpointPages = 1000;

    /// <summary>
    /// After a large decision: the connection checkpoints automatically again, and the log the decision wrote (about
    /// 0.5 GB at 200,000 devices) is copied into the database beside it (<see cref="LogCheckpointer"/>). With the
    /// automatic checkpoint the commit copied it itself, so the decision (and every write queued behind the writer
    /// lock) waited for that copy and its fsyncs. What a commit promises is unchanged: it is in the log, in the
    /// operating system's page cache (docs/server.md, "What committed means on disk"); the log is synced at the
    /// checkpoint, as before, only later.
    /// </summary>
    protected override async Task BulkFinishedAsync(DbConnection connection, bool committed)
    {
        ArgumentNullException.ThrowIfNull(connection);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = FormattableString.Invariant($"PRAGMA wal_autocheckpoint = {AutoCheckpointPages};");
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SqliteException) when (connection is SqliteConnection sqlite)
        {
            // The write's outcome stands (committed or not, the caller learns that, not this): the connection is
            // closed instead of pooled, so no later write runs on it without automatic checkpoints.
            SqliteConnection.ClearPool(sqlite);
        }

        if (committed)
        {
            checkpointer.Request();
        }
    }

    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT

    public override async ValueTask DisposeAsync()
    {
        await CloseGroupWriterAsync().ConfigureAwait(false);
        await checkpointer.DisposeAsync().ConfigureAwait(false);
        await preparedReads.DisposeAsync().ConfigureAwait(false);
        writer.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
