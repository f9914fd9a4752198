using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gitfleet.Storage.Sqlite;

/// <summary>
/// The point reads every device request makes (an auth request's lookup of its device and key, a device by id
/// after a change): statements prepared once, on connections kept open for them. Microsoft.Data.Sqlite caches no
/// statements, so a read through a pooled connection parses and plans its SQL again every time. A connection is
/// lent to one read at a time; at most <see cref="MaxIdle"/> wait idle, more are opened when more reads run at
/// once and closed when returned. In WAL mode every read sees the last commit: a statement's read transaction
/// ends when it is reset, right after its rows were read, so an idle connection holds back no checkpoint.
/// </summary>
internal sealed class PreparedReads(Func<CancellationToken, ValueTask<SqliteConnection>> open) : IAsyncDisposable
{
    private const int MaxIdle = 16;

    private readonly ConcurrentBag<Session> idle = [];
    private int disposed;

    /// <summary>Runs <paramref name="sql"/> with <paramref name="parameters"/> (named <c>@name</c>) and hands each row to <paramref name="onRow"/>.</summary>
    public async Task ReadAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<sqlite3_stmt> onRow, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (!idle.TryTake(out var session))
        {
            session = new Session(await open(cancellationToken).ConfigureAwait(false));
        }

        var healthy = false;
        try
        {
            session.Run(sql, parameters, onRow, cancellationToken);
            healthy = true;
        }
        finally
        {
            // A read that failed may have left its connection in any state: it is closed, not lent again.
            if (healthy && idle.Count < MaxIdle && Volatile.Read(ref disposed) == 0)
            {
                idle.Add(session);
                if (Volatile.Read(ref disposed) != 0)
                {
                    Drain();
                }
            }
            else
            {
                session.Dispose();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref disposed, 1);
        Drain();
        return ValueTask.CompletedTask;
    }

    private void Drain()
    {
        while (idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    /// <summary>One open connection and the statements prepared on it, by SQL text.</summary>
    private sealed class Session(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, sqlite3_stmt> statements = new(StringComparer.Ordinal);
        private byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024);

        public void Run(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<sqlite3_stmt> onRow, CancellationToken cancellationToken)
        {
            var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
            if (!statements.TryGetValue(sql, out var statement))
            {
                SqliteFleetStore.Check(db, raw.sqlite3_prepare_v2(db, sql, out statement));
                statements[sql] = statement;
            }

            try
            {
                foreach (var (name, value) in parameters)
                {
                    var index = raw.sqlite3_bind_parameter_index(statement, name);
                    SqliteFleetStore.Check(db, value switch
                    {
                        string text => SqliteFleetStore.BindText(statement, index, text, ref buffer),
                        long number => raw.sqlite3_bind_int64(statement, index, number),
                        int number => raw.sqlite3_bind_int64(statement, index, number),
                        var other => throw new ArgumentException($"cannot bind a {other.GetType().Name}", nameof(parameters)),
                    });
                }

                int step;
                while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    onRow(statement);
                }

                if (step != raw.SQLITE_DONE)
                {
                    SqliteFleetStore.Check(db, step);
                }
            }
            finally
            {
                // Ends the statement's read transaction: the next read sees the commits made meanwhile.
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }

        public void Dispose()
        {
            foreach (var statement in statements.Values)
            {
                raw.sqlite3_finalize(statement);
            }

            statements.Clear();
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
            connection.Dispose();
        }
    }
}
