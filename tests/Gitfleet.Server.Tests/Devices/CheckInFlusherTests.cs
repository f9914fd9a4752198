using Gitfleet.Core.Facts;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitfleet.Server.Tests.Devices;

/// <summary>
/// The check-in flusher writes a flush's check-in times in one transaction: each table page SQLite changed is
/// appended to its write-ahead log once a flush, not once per batch of 5,000 (docs/benchmarks.md, "rollout-cpu").
/// </summary>
public sealed class CheckInFlusherTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "gitfleet-flusher-" + Guid.NewGuid().ToString("N"));
    private SqliteFleetStore store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        store = await SqliteFleetStore.OpenAsync(Path.Combine(directory, "gitfleet.db"), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_flush_of_more_check_ins_than_one_old_batch_is_one_write_and_stores_every_time()
    {
        var now = new DateTimeOffset(2026, 12, 7, 16, 0, 0, TimeSpan.Zero);
        var registry = new DeviceRegistry();
        var stored = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = Guid.NewGuid().ToString();
            (await store.PreauthorizeAsync(id, Guid.NewGuid().ToString(), new Dictionary<string, string> { ["mac"] = $"aa:{i:x2}" }, $"key-{i}", now, CancellationToken.None))
                .ShouldNotBeNull();
            stored.Add(id);
        }

        // 5,001 more devices the registry knows and the store does not (removed meanwhile): their updates match no row.
        var ids = stored.Concat(Enumerable.Range(0, 5_001).Select(_ => Guid.NewGuid().ToString())).ToList();
        foreach (var id in ids)
        {
            registry.Set(id, DeviceStatus.Accepted);
            registry.CheckIn(Guid.Parse(id), now.AddSeconds(30));
        }

        var flusher = new CheckInFlusher(registry, new DeviceProvides(), store, new ServerOptions { DataDirectory = directory }, TimeProvider.System, NullLogger<CheckInFlusher>.Instance);
        var before = store.GroupCommits.Writes;
        await flusher.FlushAsync(CancellationToken.None);

        (store.GroupCommits.Writes - before).ShouldBe(1, "one flush of 5,004 check-ins is one write: one transaction appends each changed page once");
        registry.DrainCheckIns(int.MaxValue).ShouldBeEmpty("every check-in was taken");
        foreach (var id in stored)
        {
            (await store.GetDeviceAsync(id, CancellationToken.None))!.LastCheckIn.ShouldBe(now.AddSeconds(30));
        }
    }
}
