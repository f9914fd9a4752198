using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>
/// A large decision's commit leaves its write-ahead log to a checkpoint of its own on another thread (the commit
/// does not copy it): the log still reaches the database file, and the connection that wrote checkpoints
/// automatically again when it goes back to the pool.
/// </summary>
public sealed class BulkCheckpointTests : IAsyncLifetime
{
    private const int Devices = 6_000; // device rows, configured maps and rollout devices: above the bulk threshold (10,000)
    private readonly StoreFixture fixture = new(StoreEngine.Sqlite);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task A_large_decision_reaches_the_database_file_after_its_commit_and_the_connection_checkpoints_again()
    {
        var before = new FileInfo(fixture.DatabasePath).Length;
        var devices = Enumerable.Range(0, Devices).Select(i => $"bulk-device-{i:d5}").ToList();
        var os = StoreFixture.Deployment("image-2", devices, StoreFixture.Now);
        var configuration = StoreFixture.Deployment("configuration-1", devices, StoreFixture.Now, kind: "configuration");
        var map = new Dictionary<string, string> { ["site"] = new string('x', 200) };
        await fixture.Store.CommitRolloutAsync(new RolloutCommit
        {
            Branch = "main", Generation = 1, Progress = RolloutProgress.Start, StartedAt = StoreFixture.Now, ReplaceDevices = true,
            Devices = devices.Select(d => new RolloutDeviceRecord(d, RolloutDeviceState.Scheduled, 1, [os.Deployment.Id, configuration.Deployment.Id], null, StoreFixture.Now)).ToList(),
            Deployments = [os, configuration],
            Configured = devices.Select(d => new ConfiguredWrite(d, map, configuration.Deployment.Id)).ToList(),
            Now = StoreFixture.Now,
        }, CancellationToken.None);

        // The connection the decision wrote on is the pool's most recent: it checkpoints automatically again.
        await using (var pooled = new SqliteConnection(((SqliteFleetStore)fixture.Store).ConnectionString))
        {
            await pooled.OpenAsync();
            await using var command = pooled.CreateCommand();
            command.CommandText = "PRAGMA wal_autocheckpoint";
            Convert.ToInt64(await command.ExecuteScalarAsync()).ShouldBe(1000);
        }

        // The decision's pages were in the log only; the checkpoint copies them into the database file.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (new FileInfo(fixture.DatabasePath).Length <= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        new FileInfo(fixture.DatabasePath).Length.ShouldBeGreaterThan(before, "the decision's log was never checkpointed into the database file");
        (await fixture.Store.ListRolloutDevicesAsync("main", CancellationToken.None)).Count.ShouldBe(Devices);
    }
}
