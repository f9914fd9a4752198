using System.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Bench;

/// <summary>In-process measurements of single phases, reported as CPU time (robust on a shared machine).</summary>
internal static class Measure
{
    /// <summary>
    /// Reads a facts file as `gitfleet plan` does (streamed from disk), keeping everything and keeping what a plan
    /// keeps; prints MB/s of JSON per second of wall time and per second of CPU. Run under `taskset -c 0` with
    /// DOTNET_PROCESSOR_COUNT=1 for one core.
    /// </summary>
    /// <param name="only">"plan" or "all" to read with one projection only (for profiles).</param>
    public static async Task<int> ParseFactsAsync(string file, int runs, string? only = null)
    {
        var bytes = new FileInfo(file).Length;
        var plan = new FactsProjection
        {
            Attributes = new HashSet<string> { DeviceFacts.RootfsImageVersionAttribute, Core.Delivery.DeltaSupport.FormatsAttribute },
            Identity = new HashSet<string>(),
            ConfiguredConfiguration = false,
        };
        var projections = new[] { ("everything", "all", FactsProjection.All), ("what a plan keeps", "plan", plan) };

        // FACTS_ALLOCATIONS=1: each read's allocations by type (sampled by the runtime; costs time, so not for timing).
        using var sampler = Environment.GetEnvironmentVariable("FACTS_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
        foreach (var (name, _, projection) in projections.Where(p => only is null || p.Item2 == only))
        {
            var results = new List<(double Wall, double Cpu, long Heap)>();
            for (var run = 0; run < runs; run++)
            {
                GC.Collect();
                var before = GC.GetTotalMemory(true);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (allocated, collections) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0));
                var wall = Stopwatch.StartNew();
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                var document = await FactsDocument.ReadAsync(stream, projection, CancellationToken.None);
                wall.Stop();
                var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                var (allocatedMiB, gcs) = ((GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576, GC.CollectionCount(0) - collections);
                var heap = GC.GetTotalMemory(true) - before;
                GC.KeepAlive(document);
                results.Add((wall.Elapsed.TotalSeconds, used, heap));
                sampler?.Print(15);
                Console.WriteLine($"  {name}, run {run + 1}: {document.Devices.Count} devices, {bytes / 1048576} MiB in {wall.Elapsed.TotalSeconds:F2} s ({bytes / 1e6 / wall.Elapsed.TotalSeconds:F0} MB/s), {used:F2} s CPU ({bytes / 1e6 / used:F0} MB/s per CPU second), heap {heap / 1048576} MiB, allocated {allocatedMiB} MiB, {gcs} GCs");
            }

            var median = results.OrderBy(r => r.Wall).ElementAt(results.Count / 2);
            Console.WriteLine($"read facts, {name}, {Environment.ProcessorCount} core(s): median {bytes / 1e6 / median.Wall:F0} MB/s ({median.Wall:F2} s; {bytes / 1e6 / median.Cpu:F0} MB/s per CPU second), heap {median.Heap / 1048576} MiB");
        }

        return 0;
    }

    /// <summary>Loads a working tree and a facts file once, then times membership and planning separately (warm, CPU time).</summary>
    public static async Task<int> PlanAsync(string repository, string file, string branch, int runs)
    {
        var revision = FleetLoader.Load(ReadTree(repository)).Revision ?? throw new InvalidOperationException("the repository does not validate");
        await using var stream = File.OpenRead(file);
        var facts = (await FactsDocument.ReadAsync(stream, PlanningFacts.Projection([revision]), CancellationToken.None)).Devices;
        // PLAN_ALLOCATIONS=1: each phase's allocations by type (sampled by the runtime; costs time, so not for timing).
        using var sampler = Environment.GetEnvironmentVariable("PLAN_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
        for (var run = 0; run < runs; run++)
        {
            var (membersCpu, members) = Time(() => FleetMembership.Resolve(revision, facts));
            sampler?.Print(12);
            var (planCpu, plan) = Time(() => Planner.Plan(new PlanRequest { Branch = branch, Revision = revision, Facts = facts, Members = members, Secrets = _ => "bench-token" }));
            sampler?.Print(12);
            Console.WriteLine($"membership {membersCpu.TotalMilliseconds:F0} ms CPU, plan {planCpu.TotalMilliseconds:F0} ms CPU ({plan.Summary.Subscribed} subscribed, {plan.Summary.OsUpdates} OS updates)");
        }

        return 0;
    }

    private static (TimeSpan Cpu, T Result) Time<T>(Func<T> action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (gen0, gen1, gen2, pause) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var allocated = GC.GetTotalAllocatedBytes();
        var result = action();
        Console.Write($"[GCs {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, pauses {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F0} ms, allocated {(GC.GetTotalAllocatedBytes() - allocated) / 1048576} MiB] ");
        return (Process.GetCurrentProcess().TotalProcessorTime - cpu, result);
    }

    private static RepositorySnapshot ReadTree(string directory)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(directory, path).Replace('\\', '/');
            if (RepositorySnapshot.IsFleetPath(relative))
            {
                files[relative] = File.ReadAllText(path);
            }
        }

        return new RepositorySnapshot("bench", null, files);
    }
}
