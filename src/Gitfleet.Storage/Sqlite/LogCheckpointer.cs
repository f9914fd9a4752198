using Microsoft.Data.Sqlite;

namespace Gitfleet.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file on a connection of its own, beside the writer: passive
/// checkpoints never wait for readers or the writer, and what one cannot copy now the next one (or the writer's own
/// automatic checkpoint, its bound) copies. Asked after commits; runs at most one at a time, and after one ran it waits
/// <see cref="Spacing"/> from its start before the next, so a stream of commits is copied in batches, not page by page.
/// A checkpoint syncs the log and then the database file: done here, those syncs and the copy are off the thread of the
/// writer whose commit asked for them. What a commit promises is unchanged (docs/server.md, "What committed means on
/// disk").
/// </summary>
internal sealed class LogCheckpointer(string connectionString, string pragmas, Func<CancellationToken, ValueTask<IDisposable>> enterWriter) : IAsyncDisposable
{
    /// <summary>
    /// Past this many pages of log (16 MiB) after a checkpoint, a second one runs while it holds the store's writer
    /// lock: it copies only what was appended during the first, and with every page copied the next write starts
    /// the log over. Without it a log written without a pause is never copied whole, grows to the writer's own bound
    /// (<see cref="SqliteFleetStore.GroupWriterAutoCheckpointPages"/>), and that checkpoint, on the writer's thread,
    /// copies up to a whole spacing's pages while every write waits (first contact's p99 rose from 107 to 295 ms).
    /// </summary>
    public const int RestartPages = 4096;

    /// <summary>The least time from one checkpoint's start to the next one's.</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(100);

    private readonly Lock gate = new();
    private Task running = Task.CompletedTask;
    private bool again;
    private bool disposed;

    /// <summary>Asks for a checkpoint: starts one, or, while one runs, one more after it. Never blocks.</summary>
    public void Request()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            if (running.IsCompleted)
            {
                running = Task.Run(RunAsync);
            }
            else
            {
                again = true;
            }
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await CheckpointAsync().ConfigureAwait(false);
            lock (gate)
            {
                if (!again || disposed)
                {
                    return;
                }

                again = false;
            }

            var wait = Spacing - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }
        }
    }

    private async Task CheckpointAsync()
    {
        try
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            await connection.OpenAsync().ConfigureAwait(false);
            await using (var settings = connection.CreateCommand())
            {
                settings.CommandText = pragmas;
                await settings.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            if (await PagesOfLogAsync(command).ConfigureAwait(false) >= RestartPages)
            {
                using var writer = await enterWriter(CancellationToken.None).ConfigureAwait(false);
                await PagesOfLogAsync(command).ConfigureAwait(false);
            }
        }
        catch (SqliteException)
        {
            // Busy or failed: nothing is lost, the log stays and a later checkpoint copies it.
        }
    }

    /// <summary>Runs the checkpoint; the pages the log holds (its second column).</summary>
    private static async Task<long> PagesOfLogAsync(SqliteCommand checkpoint)
    {
        await using var reader = await checkpoint.ExecuteReaderAsync().ConfigureAwait(false);
        return await reader.ReadAsync().ConfigureAwait(false) ? reader.GetInt64(1) : 0;
    }

    /// <summary>Lets a checkpoint that runs finish; none starts after.</summary>
    public async ValueTask DisposeAsync()
    {
        Task last;
        lock (gate)
        {
            disposed = true;
            last = running;
        }

        await last.ConfigureAwait(false);
    }
}
