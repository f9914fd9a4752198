using System.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Git;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Reconcile.Git;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Bench;

/// <summary>
/// The server-side reconcile at scale (bench/reconcile.sh). Every generated device subscribes to production
/// and has converged on its base commit. Each run starts a server on a fresh copy of that database and measures:
/// a no-op decision (nothing changed), a change touching every device (the watcher fetches, validates, reads the
/// facts, plans and submits the target; the engine schedules it), and a no-op decision with all of it in flight.
/// </summary>
internal static class ReconcileBench
{
    private const string Branch = "production";
    internal const string Secret = "bench-token";

    public static async Task<int> RunAsync(string work, string baseCommit, string changeCommit, int runs)
    {
        var repository = Path.Combine(work, "fleet");
        var baseDatabase = Path.Combine(work, "base.db");
        if (!File.Exists(baseDatabase))
        {
            await CreateBaseAsync(work, repository, baseCommit, baseDatabase);
        }

        var results = new List<Measured[]>();
        for (var run = 1; run <= runs; run++)
        {
            var data = Path.Combine(work, "data");
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }

            Directory.CreateDirectory(data);
            File.Copy(baseDatabase, Path.Combine(data, "gitfleet.db"));
            await Git(repository, "branch", "-f", Branch, baseCommit);
            var clock = new BenchClock(DateTimeOffset.UtcNow);
            await using var server = await GitfleetServer.StartAsync(new ServerOptions
            {
                DataDirectory = data,
                Urls = ["http://127.0.0.1:0"],
                AdminPassword = "bench-password",
                ConsoleLogging = false,
                BackgroundReconcile = false,
                FleetRepository = repository,
                FleetBranches = [Branch],
                Secrets = _ => Secret,
                // Measured on a shared machine at nice 19: a slow plan must not be stalled by the revision budget.
                FleetRevisionTimeout = TimeSpan.FromHours(1),
            }, clock);
            var watcher = server.Services.GetRequiredService<GitWatcher>();
            var engine = server.Services.GetRequiredService<RolloutEngine>();
            if (Environment.GetEnvironmentVariable("GITFLEET_TIMINGS") == "1")
            {
                engine.PhaseObserver = (phase, elapsed) => PrintPhase("engine", phase, elapsed);
                watcher.PhaseObserver = (phase, elapsed) => PrintPhase("watcher", phase, elapsed);
            }

            // The server's first decision reads everything (not measured); decisions run every 15 s after that.
            await watcher.ReconcileAsync(Branch, CancellationToken.None);
            await engine.RunOnceAsync(CancellationToken.None);
            var converged = engine.Status(Branch)!.Devices;
            if (converged.Converged != converged.Total - converged.Problems)
            {
                throw new InvalidOperationException($"the base is not converged: {converged}");
            }

            var noops = new List<Measured>();
            for (var i = 0; i < 3; i++)
            {
                clock.Advance(TimeSpan.FromSeconds(15));
                noops.Add(await MeasureAsync(() => engine.RunOnceAsync(CancellationToken.None)));
            }

            var noop = noops.OrderBy(m => m.Wall).ElementAt(1);
            clock.Advance(TimeSpan.FromSeconds(15));
            await Git(repository, "branch", "-f", Branch, changeCommit);
            var plan = await MeasureAsync(() => watcher.ReconcileAsync(Branch, CancellationToken.None));
            var schedule = await MeasureAsync(() => engine.RunOnceAsync(CancellationToken.None));
            var status = engine.Status(Branch)!;
            if (status.Devices.InProgress != status.Devices.Total - status.Devices.Problems)
            {
                throw new InvalidOperationException($"the change did not reach every device: {status.Devices} ({status.Rollout?.Message})");
            }

            // The decisions right after the change read what it wrote once more (its stamps are in the margin of the
            // change-stamp reads); the steady state is a minute later.
            clock.Advance(TimeSpan.FromSeconds(15));
            await engine.RunOnceAsync(CancellationToken.None);
            clock.Advance(TimeSpan.FromSeconds(45));
            var inFlight = await MeasureAsync(() => engine.RunOnceAsync(CancellationToken.None));
            var change = plan + schedule;
            results.Add([noop, plan, schedule, change, inFlight]);
            Console.WriteLine($"  run {run}: no-op decision {noop}; change to {status.Devices.InProgress} devices: plan {plan} + schedule {schedule} = {change}; no-op with all in flight {inFlight}");
        }

        Measured Median(int column) => results.Select(r => r[column]).OrderBy(m => m.Wall).ElementAt(results.Count / 2);
        Console.WriteLine($"median: no-op {Median(0)} (target < 2 s); change {Median(3)} = plan {Median(1)} + schedule {Median(2)} (target <= 8 s at 200,000 devices); no-op in flight {Median(4)}");
        return 0;
    }

    /// <summary>Wall time and the process's CPU time (both cores) of one step.</summary>
    private readonly record struct Measured(double Wall, double Cpu)
    {
        public static Measured operator +(Measured a, Measured b) => new(a.Wall + b.Wall, a.Cpu + b.Cpu);

        public override string ToString() => FormattableString.Invariant($"{Wall:F2} s ({Cpu:F2} s CPU)");
    }

    /// <summary>The process's CPU time at the last phase printed (or the start of the measured step).</summary>
    private static TimeSpan phaseCpu;

    /// <summary>A phase's wall time and the process's CPU time since the last phase (GITFLEET_TIMINGS=1).</summary>
    private static void PrintPhase(string part, string phase, TimeSpan elapsed)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var allocated = GC.GetTotalAllocatedBytes();
        Console.Error.WriteLine(FormattableString.Invariant(
            $"    {part} {phase}: {elapsed.TotalMilliseconds:F0} ms (at monotonic {Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency:F3} s; {(cpu - phaseCpu).TotalMilliseconds:F0} ms CPU; GC {gc.Item1 - phaseGc.Item1}/{gc.Item2 - phaseGc.Item2}/{gc.Item3 - phaseGc.Item3}, paused {(gc.Item4 - phaseGc.Item4).TotalMilliseconds:F0} ms; allocated {(allocated - phaseAllocated) / 1048576} MiB, heap {GC.GetTotalMemory(false) / 1048576} MiB)"));
        phaseCpu = cpu;
        phaseAllocated = allocated;
        phaseGc = gc;
    }

    /// <summary>Collections of each generation and the total GC pause at the last phase printed.</summary>
    private static (int, int, int, TimeSpan) phaseGc;

    /// <summary>Bytes allocated by the process at the last phase printed.</summary>
    private static long phaseAllocated;

    private static async Task<Measured> MeasureAsync(Func<Task> action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        phaseCpu = cpu;
        phaseGc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        phaseAllocated = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        await action();
        return new Measured(clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    /// <summary>The base: every device on production, running exactly what the base commit renders for it.</summary>
    internal static async Task CreateBaseAsync(string work, string repository, string baseCommit, string path)
    {
        var clock = Stopwatch.StartNew();
        var devices = FactsDocument.Parse(File.ReadAllBytes(Path.Combine(work, "fleet-facts.json"))).Devices
            .Select(d => d with { Tags = new Dictionary<string, string>(d.Tags) { ["ring"] = Branch } }).ToList();
        var planner = new BranchPlanner(await FleetRepository.OpenAsync(repository, repository, CancellationToken.None));
        var load = await planner.LoadAsync(baseCommit, CancellationToken.None);
        var planned = await planner.PlanAsync(Branch, load.Revision ?? throw new InvalidOperationException(string.Join("\n", load.Errors)), devices, _ => Secret, CancellationToken.None);
        var desired = planned.Plan.Devices.Where(d => d.DeviceId is not null && d.Problems.Count == 0).ToDictionary(d => d.DeviceId!);
        var converged = devices.Select(d => desired.TryGetValue(d.Id, out var plan)
            ? d with
            {
                ArtifactName = plan.Os.To,
                Attributes = new Dictionary<string, string>(d.Attributes)
                {
                    ["artifact_name"] = plan.Os.To!,
                    ["rootfs-image.version"] = plan.Os.To!,
                    ["gitfleet_os_image"] = plan.Os.To!,
                },
                InFlight = [],
                ReportedConfiguration = plan.Configuration.Desired?.Values,
            }
            : d).ToList();
        // The change commit deploys new images: their artifacts are on the server.
        var images = planned.Plan.Devices.Select(d => d.DeviceType).OfType<string>().Distinct().Select(type => ($"2026-03-01-{type}", type)).ToList();
        await BenchStore.CreateAsync(path, converged, images, DateTimeOffset.UtcNow);
        Console.WriteLine($"  base database: {devices.Count} devices ({desired.Count} planned on {Branch}) in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task Git(string repository, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("git", ["-C", repository, .. arguments]);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.StandardError}");
        }
    }
}
