using Gitfleet.Storage.Sqlite;
using Gitfleet.TestSupport;
using Microsoft.Data.Sqlite;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>
/// The checkpointer beside the group writer: a log past <see cref="LogCheckpointer.RestartPages"/> is copied a second
/// time under the store's writer lock, so the next write starts it over; a small one is copied without the lock.
/// </summary>
public sealed class LogCheckpointerTests
{
    [Theory]
    [InlineData(LogCheckpointer.RestartPages + 500, 1)]
    [InlineData(200, 0)]
    public async Task A_large_log_is_copied_once_more_under_the_writer_lock_and_then_starts_over(int pages, int locked)
    {
        using var directory = new TempDirectory("gitfleet-checkpointer");
        var path = Path.Combine(directory.Path, "log.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        await using var writer = new SqliteConnection(connectionString);
        await writer.OpenAsync();
        await ExecuteAsync(writer, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);");
        // About one page of log per row, in one transaction the checkpointer cannot copy before it commits.
        await ExecuteAsync(writer, $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {pages}) INSERT INTO t SELECT i, randomblob(3500) FROM n;");
        var logBefore = new FileInfo(path + "-wal").Length;

        var entered = 0;
        var checkpointer = new LogCheckpointer(connectionString, "PRAGMA busy_timeout = 10000;", _ =>
        {
            Interlocked.Increment(ref entered);
            return ValueTask.FromResult<IDisposable>(new Released());
        });
        checkpointer.Request();
        await checkpointer.DisposeAsync(); // waits for the checkpoint that runs

        entered.ShouldBe(locked);
        // Every page was copied, so the next write starts the log over from its beginning.
        await ExecuteAsync(writer, "INSERT INTO t VALUES (-1, randomblob(10));");
        new FileInfo(path + "-wal").Length.ShouldBe(logBefore, "the log file keeps its size when it starts over");
        await using var check = writer.CreateCommand();
        check.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        await using var reader = await check.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        reader.GetInt64(1).ShouldBeLessThan(10, "the write after the checkpoint went to the start of the log");
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Released : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
