using System.Diagnostics;

namespace Gitfleet.Cli.Output;

/// <summary>With GITFLEET_TIMINGS=1, prints how long each phase of a command took (to stderr), for benchmarks.</summary>
internal sealed class PhaseTimer(CliConsole console)
{
    private readonly bool enabled = console.Environment("GITFLEET_TIMINGS") == "1";
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Prints the phase's wall time and CPU time (both cores: CPU time says more on a busy machine).</summary>
    public void Mark(string phase)
    {
        if (enabled)
        {
            var now = Process.GetCurrentProcess().TotalProcessorTime;
            console.Error.WriteLine($"timing: {phase,-28} {stopwatch.Elapsed.TotalMilliseconds,8:F0} ms  (CPU {(now - cpu).TotalMilliseconds:F0} ms, managed heap {GC.GetTotalMemory(false) / 1048576} MiB)");
            cpu = now;
            stopwatch.Restart();
        }
    }
}
