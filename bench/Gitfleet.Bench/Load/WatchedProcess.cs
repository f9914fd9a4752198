using System.Globalization;

namespace Gitfleet.Bench.Load;

/// <summary>
/// A process whose CPU and memory a load run reports (<c>--watch name=PID,name=PID+</c>). A trailing + adds its
/// children: PostgreSQL's postmaster with every backend (live ones by their own time, ended ones through the
/// postmaster's cutime/cstime, which a parent collects when it reaps a child).
/// </summary>
internal sealed record WatchedProcess(string Name, int Pid, bool WithChildren)
{
    public static IReadOnlyList<WatchedProcess> Parse(string? spec) =>
        string.IsNullOrEmpty(spec) ? [] : spec.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(item =>
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            var pid = equals > 0 ? item[(equals + 1)..] : throw new ArgumentException($"--watch {item}: name=PID expected");
            var children = pid.EndsWith('+');
            return new WatchedProcess(item[..equals], int.Parse(children ? pid[..^1] : pid, CultureInfo.InvariantCulture), children);
        }).ToList();

    /// <summary>User + system CPU so far (with the children's, when asked).</summary>
    public TimeSpan Cpu()
    {
        var ticks = Ticks(Pid, WithChildren);
        if (WithChildren)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && Parent(child) == Pid)
                {
                    ticks += Ticks(child, false);
                }
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public (double Rss, double Peak) Memory() => File.Exists($"/proc/{Pid}/status") ? CpuSample.Memory(Pid) : (0, 0);

    /// <summary>The fields after "pid (comm) " of /proc/PID/stat, empty when the process ended.</summary>
    private static string[] Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static int Parent(int pid) => Stat(pid) is { Length: > 1 } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : -1;

    /// <summary>utime + stime (indexes 11, 12 here), with cutime + cstime (13, 14) when asked.</summary>
    private static long Ticks(int pid, bool reaped)
    {
        var fields = Stat(pid);
        if (fields.Length < 15)
        {
            return 0;
        }

        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return reaped ? ticks + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture) : ticks;
    }
}
