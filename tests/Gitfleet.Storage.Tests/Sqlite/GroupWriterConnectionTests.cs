using System.Data.Common;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>
/// The group-commit writer's own SQLite connection: statement journals (one per write's savepoint) stay in memory,
/// where a first inventory's journal (past 64 KiB) went to a temporary file created and deleted for every write.
/// </summary>
public sealed class GroupWriterConnectionTests : IAsyncLifetime
{
    private readonly StoreFixture fixture = new(StoreEngine.Sqlite);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task The_group_writers_connection_keeps_temporary_files_and_statement_journals_in_memory_and_its_large_page_cache()
    {
        await using var connection = await ((SqliteFleetStore)fixture.Store).OpenGroupWriterAsync(CancellationToken.None);
        (await Pragma(connection, "temp_store")).ShouldBe(2); // MEMORY
        (await Pragma(connection, "cache_size")).ShouldBe(-SqliteFleetStore.GroupWriterCacheKiB);
        (await Pragma(connection, "synchronous")).ShouldBe(1); // NORMAL, as every connection
    }

    private static async Task<long> Pragma(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
