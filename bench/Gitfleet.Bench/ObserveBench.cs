using System.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Git;
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

    /// <param name="repository">With a fleet repository and its commit: the projection the git watcher reads for that
    /// commit's production plan, and every page kept until the run ends (as the watcher holds them for the plan).</param>
    public static async Task<int> FactsAsync(string database, int runs, string? repository = null, string? commit = null)
    {
        await using var store = await SqliteFleetStore.OpenAsync(database, CancellationToken.None);
        var projection = FactsProjection.All with { ConfiguredConfiguration = false };
        if (repository is not null && commit is not null)
        {
            var planner = new BranchPlanner(await FleetRepository.OpenAsync(repository, repository, CancellationToken.None));
            var load = await planner.LoadAsync(commit, CancellationToken.None);
            var context = await planner.PrepareAsync("production", load.Revision ?? throw new InvalidOperationException(string.Join("\n", load.Errors)), CancellationToken.None);
            projection = context.Projection;
        }

        // FACTS_ALLOCATIONS=1: the allocations of each read by type (sampled by the runtime; costs time, so not for timing).
        using var sampler = Environment.GetEnvironmentVariable("FACTS_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
        for (var run = 0; run < runs; run++)
        {
            var kept = new List<DeviceFacts>();
            var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var allocated = GC.GetTotalAllocatedBytes();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var page in store.StreamFactsAsync(null, projection, CancellationToken.None))
            {
                count += page.Count;
                if (repository is not null)
                {
                    kept.AddRange(page);
                }
            }

            Console.WriteLine($"facts of {count} devices in {clock.ElapsedMilliseconds} ms ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms CPU), {(GC.GetTotalAllocatedBytes() - allocated) >> 20} MiB allocated, GCs {GC.CollectionCount(0) - gc.Item1}/{GC.CollectionCount(1) - gc.Item2}/{GC.CollectionCount(2) - gc.Item3}");
            sampler?.Print(25);
        }

        return 0;
    }
}
