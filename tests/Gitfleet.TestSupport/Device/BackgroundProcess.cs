using System.Diagnostics;
using System.Text;

namespace Gitfleet.TestSupport.Device;

/// <summary>A long-running process (a daemon under test) whose output is collected; killed when disposed.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource errorEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackgroundProcess(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Received(e.Data, outputEnded);
        process.ErrorDataReceived += (_, e) => Received(e.Data, errorEnded);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of output (for failure messages).</summary>
    public string Tail(int lines = 40)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all[Math.Max(0, all.Length - lines)..]);
    }

    public bool HasExited => process.HasExited;

    /// <summary>
    /// When the process, a Go program (the mender client), died in its runtime: the lines that say why ("fatal error:
    /// ...", "panic: ...", "SIGSEGV: ...", "runtime: ..."), which precede the goroutine dump; null when it did not.
    /// </summary>
    public string? GoRuntimeCrash()
    {
        if (!HasExited)
        {
            return null;
        }

        var lines = Output.Split('\n');
        if (!lines.Any(line => line.StartsWith("goroutine ", StringComparison.Ordinal) && line.TrimEnd().EndsWith("]:", StringComparison.Ordinal)))
        {
            return null;
        }

        var causes = lines.Where(IsGoCrashCause).Select(line => line.Trim()).Distinct().Take(5).ToList();
        return causes.Count > 0 ? string.Join("; ", causes) : "a goroutine dump without its cause";
    }

    private static bool IsGoCrashCause(string line) =>
        line.StartsWith("fatal error:", StringComparison.Ordinal) || line.StartsWith("panic:", StringComparison.Ordinal) ||
        line.StartsWith("runtime:", StringComparison.Ordinal) ||
        (line.StartsWith("SIG", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is > 3 and < 12);

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>Waits for the process to end; false when it is still running after <paramref name="timeout"/>.</summary>
    /// <summary>
    /// Waits for the process to end and then (up to 5 s more) for its output to be read to the end: .NET's timed wait
    /// returns at the exit, possibly before the asynchronous readers delivered the last lines (a simulator's summary
    /// was missed so). The wait for the output is bounded because a child the process left running may hold its pipes.
    /// </summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            return false;
        }

        Task.WaitAll([outputEnded.Task, errorEnded.Task], TimeSpan.FromSeconds(5));
        return true;
    }

    /// <summary>Sends a signal (e.g. SIGUSR2: the Mender daemon sends its inventory now).</summary>
    public void Signal(string name) => Process.Start("kill", ["-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    /// <summary>A line of output, or the end of the stream (null).</summary>
    private void Received(string? line, TaskCompletionSource ended)
    {
        Append(line);
        if (line is null)
        {
            ended.TrySetResult();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
