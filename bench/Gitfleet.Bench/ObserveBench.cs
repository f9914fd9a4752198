using System.Diagnostics;
using Gitfleet.Storage.Sqlite;

namespace Gitfleet.Bench;

/// <summary>Times the rollout engine's observed-state read alone (one store, repeated reads).</summary>
internal static class ObserveBench
{
    public static async Task<int> RunAsync(string database, int runs)
    {
        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        Gitfleet.Storage.Model.ObservedState? state = null;
        for (var run = 0; run < runs; run++)
        {
            var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var allocated = GC.GetTotalAllocatedBytes();
            var clock = Stopwatch.StartNew();
            state = await store.LoadObservedAsync(state, DateTimeOffset.UtcNow.AddSeconds(run * 15), null, CancellationToken.None);
            Console.WriteLine($"observed {state.Devices.Count} devices in {clock.ElapsedMilliseconds} ms, {(GC.GetTotalAllocatedBytes() - allocated) >> 20} MiB allocated, GCs {GC.CollectionCount(0) - gc.Item1}/{GC.CollectionCount(1) - gc.Item2}/{GC.CollectionCount(2) - gc.Item3}");
        }

        return 0;
    }

    public static async Task<int> FactsAsync(string database, int runs)
    {
        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        for (var run = 0; run < runs; run++)
        {
            var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var allocated = GC.GetTotalAllocatedBytes();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var page in store.StreamFactsAsync(null, withConfigured: false, CancellationToken.None))
            {
                count += page.Count;
            }

            Console.WriteLine($"facts of {count} devices in {clock.ElapsedMilliseconds} ms ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms CPU), {(GC.GetTotalAllocatedBytes() - allocated) >> 20} MiB allocated, GCs {GC.CollectionCount(0) - gc.Item1}/{GC.CollectionCount(1) - gc.Item2}/{GC.CollectionCount(2) - gc.Item3}");
        }

        return 0;
    }
}
