using System.Diagnostics;
using System.Runtime;

namespace Gitfleet.Cli.Output;

/// <summary>With GITFLEET_TIMINGS=1, prints how long each phase of a command took (to stderr), for benchmarks.</summary>
internal sealed class PhaseTimer(CliConsole console)
{
    private readonly bool enabled = console.Environment("GITFLEET_TIMINGS") == "1";
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long allocated = GC.GetTotalAllocatedBytes();
    private TimeSpan paused = GC.GetTotalPauseDuration();
    private int collections = GC.CollectionCount(0);
    private long jitted = JitInfo.GetCompiledMethodCount();
    private TimeSpan jitting = JitInfo.GetCompilationTime();

    /// <summary>
    /// Prints the phase's wall time and CPU time (both cores: CPU time says more on a busy machine), then what it
    /// allocated, how many collections it caused and how long they paused the program, then how many methods the JIT
    /// compiled and for how long (on any thread: ReadyToRun code misses some, and the tiered compiler re-compiles hot ones).
    /// </summary>
    public void Mark(string phase)
    {
        if (enabled)
        {
            var now = Process.GetCurrentProcess().TotalProcessorTime;
            var (nowAllocated, nowPaused, nowCollections) = (GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration(), GC.CollectionCount(0));
            var (nowJitted, nowJitting) = (JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());
            console.Error.WriteLine($"timing: {phase,-28} {stopwatch.Elapsed.TotalMilliseconds,8:F0} ms  (CPU {(now - cpu).TotalMilliseconds:F0} ms, managed heap {GC.GetTotalMemory(false) / 1048576} MiB)");
            console.Error.WriteLine($"gc:     {phase,-28} allocated {(nowAllocated - allocated) / 1048576} MiB, {nowCollections - collections} GCs, GC pauses {(nowPaused - paused).TotalMilliseconds:F0} ms");
            console.Error.WriteLine($"jit:    {phase,-28} compiled {nowJitted - jitted} methods in {(nowJitting - jitting).TotalMilliseconds:F0} ms");
            (cpu, allocated, paused, collections, jitted, jitting) = (now, nowAllocated, nowPaused, nowCollections, nowJitted, nowJitting);
            stopwatch.Restart();
        }
    }
}
