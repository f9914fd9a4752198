using System.Diagnostics;
using System.Globalization;

namespace Gitfleet.TestSupport.Processes;

/// <summary>
/// A detached shell that runs a cleanup command once this test process is gone, however it ended (a failing test,
/// Ctrl-C, or SIGKILL, where no finalizer or exit handler runs). A daemon the harness started (PostgreSQL, HAProxy)
/// is therefore never left running. Disposing the watchdog (after a normal cleanup) ends it without running the command.
/// </summary>
public sealed class ProcessWatchdog : IDisposable
{
    private readonly Process shell;

    /// <param name="cleanup">A POSIX shell command, run with stdin/stdout/stderr on /dev/null.</param>
    public ProcessWatchdog(string cleanup)
    {
        var parent = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        // exec first: the shell must not hold the test host's output pipes open (dotnet test would wait on them).
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {parent}; do sleep 1; done; {cleanup}";
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false };
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        shell = Process.Start(info) ?? throw new InvalidOperationException("cannot start the watchdog shell");
    }

    public void Dispose()
    {
        try
        {
            if (!shell.HasExited)
            {
                shell.Kill();
                shell.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        shell.Dispose();
    }

    /// <summary>Quotes a value for a POSIX shell command line.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
