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
    public static int ParseFacts(string file)
    {
        var bytes = File.ReadAllBytes(file);
        for (var run = 0; run < 5; run++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var allocated = GC.GetTotalAllocatedBytes();
            var document = FactsDocument.Parse(bytes);
            wall.Stop();
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Console.WriteLine($"parse {bytes.Length / 1048576} MiB, {document.Devices.Count} devices: {wall.ElapsedMilliseconds} ms wall, {used.TotalMilliseconds:F0} ms CPU, {(GC.GetTotalAllocatedBytes() - allocated) / 1048576} MiB allocated");
        }

        return 0;
    }

    /// <summary>Loads a working tree and a facts file once, then times membership and planning separately.</summary>
    public static int Plan(string repository, string file, string branch)
    {
        var revision = FleetLoader.Load(ReadTree(repository)).Revision ?? throw new InvalidOperationException("the repository does not validate");
        var facts = FactsDocument.Parse(File.ReadAllBytes(file)).Devices;
        for (var run = 0; run < 5; run++)
        {
            var (membersCpu, members) = Time(() => FleetMembership.Resolve(revision, facts));
            var (planCpu, plan) = Time(() => Planner.Plan(new PlanRequest { Branch = branch, Revision = revision, Facts = facts, Members = members, Secrets = _ => "bench-token" }));
            Console.WriteLine($"membership {membersCpu.TotalMilliseconds:F0} ms CPU, plan {planCpu.TotalMilliseconds:F0} ms CPU ({plan.Summary.Subscribed} subscribed, {plan.Summary.OsUpdates} OS updates)");
        }

        return 0;
    }

    private static (TimeSpan Cpu, T Result) Time<T>(Func<T> action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var result = action();
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
