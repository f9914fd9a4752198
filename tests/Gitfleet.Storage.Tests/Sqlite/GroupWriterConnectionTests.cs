using System.Data.Common;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>
/// The group-commit writer's own SQLite connection: statement journals (one per write's savepoint) stay in memory,
/// where a first inventory's journal (past 64 KiB) went to a temporary file created and deleted for every write; and
/// its log is copied into the database file by a checkpointer beside it, not by its own commits.
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
        (await Pragma(connection, "wal_autocheckpoint")).ShouldBe(SqliteFleetStore.GroupWriterAutoCheckpointPages);
    }

    [Fact]
    public async Task The_group_writers_log_is_copied_into_the_database_file_beside_it_long_before_its_own_checkpoint_bound()
    {
        var devices = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            devices.Add((await fixture.AcceptedDeviceAsync($"02:00:00:00:01:{i:x2}")).Id);
        }

        await fixture.ExecuteBehindTheStoreAsync("PRAGMA wal_checkpoint(TRUNCATE)");
        var before = new FileInfo(fixture.DatabasePath).Length;

        // First inventories of 17 attributes through the group writer: far fewer pages of log than the writer's own
        // automatic checkpoint waits for, so only the checkpointer beside it copies them into the database file.
        await Task.WhenAll(devices.Select(id => fixture.Store.SaveInventoryAsync(id,
            Enumerable.Range(0, 17).Select(a => new KeyValuePair<string, IReadOnlyList<string>>($"attribute_{a}", [$"{id}-{a}-{new string('v', 40)}"])).ToList(),
            replace: true, StoreFixture.Now, CancellationToken.None)));
        var log = new FileInfo(fixture.DatabasePath + "-wal").Length;
        log.ShouldBeLessThan(SqliteFleetStore.GroupWriterAutoCheckpointPages * 4096L, "the writer's own checkpoint could have copied this log");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (new FileInfo(fixture.DatabasePath).Length <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        new FileInfo(fixture.DatabasePath).Length.ShouldBeGreaterThan(before, "the group writer's log never reached the database file");
        var stored = await fixture.Store.GetAttributesAsync(devices, CancellationToken.None);
        stored.Count(a => a.Name.StartsWith("attribute_", StringComparison.Ordinal)).ShouldBe(devices.Count * 17);
    }

    private static async Task<long> Pragma(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
