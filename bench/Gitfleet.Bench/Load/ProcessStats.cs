using System.Diagnostics;
using System.Globalization;

namespace Gitfleet.Bench.Load;

/// <summary>CPU time and memory of a process (from /proc), of this process, and how busy the whole machine is.</summary>
internal readonly record struct CpuSample(TimeSpan Server, TimeSpan Generator, long MachineBusyTicks, long MachineTotalTicks, DateTime Wall)
{
    /// <summary>USER_HZ: /proc reports CPU time in 1/100 s on Linux.</summary>
    private const double TicksPerSecond = 100;

    public static CpuSample Take(int? serverPid)
    {
        var (busy, total) = MachineTicks();
        return new CpuSample(serverPid is { } pid ? ProcessCpu(pid) : TimeSpan.Zero, Process.GetCurrentProcess().TotalProcessorTime, busy, total, DateTime.UtcNow);
    }

    /// <summary>Cores used on average between two samples: by the server, by this generator, and by the whole machine.</summary>
    public static (double Server, double Generator, double Machine) Cores(CpuSample from, CpuSample to)
    {
        var seconds = (to.Wall - from.Wall).TotalSeconds;
        var machineFraction = to.MachineTotalTicks == from.MachineTotalTicks ? 0
            : (double)(to.MachineBusyTicks - from.MachineBusyTicks) / (to.MachineTotalTicks - from.MachineTotalTicks);
        return ((to.Server - from.Server).TotalSeconds / seconds, (to.Generator - from.Generator).TotalSeconds / seconds, machineFraction * MachineCores);
    }

    /// <summary>All cores of the machine (Environment.ProcessorCount counts only those taskset allows this process).</summary>
    public static int MachineCores { get; } = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3]));

    /// <summary>VmRSS and VmHWM (peak) of a process in MiB.</summary>
    public static (double Rss, double Peak) Memory(int pid)
    {
        double rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) / 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) / 1024;
            }
        }

        return (rss, peak);
    }

    private static double Kilobytes(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>
    /// CPU time of a process's threads whose name starts with <paramref name="name"/> (Linux keeps 15 characters of it):
    /// the server's group-commit writer ("Gitfleet group commit"), the thread a first-contact storm waits on. Zero
    /// before the thread exists (the writer starts with the first write).
    /// </summary>
    public static TimeSpan ThreadCpu(int pid, string name)
    {
        var total = TimeSpan.Zero;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(name, StringComparison.Ordinal))
                {
                    total += StatCpu(Path.Combine(task, "stat"));
                }
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }

        return total;
    }

    private static TimeSpan ProcessCpu(int pid) => StatCpu($"/proc/{pid}/stat");

    private static TimeSpan StatCpu(string path)
    {
        var stat = File.ReadAllText(path);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based), so indexes 11 and 12 here.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static (long Busy, long Total) MachineTicks()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = cpu[3] + cpu[4];
        var total = cpu.Take(8).Sum();
        return (total - idle, total);
    }
}
