using System.Diagnostics;

namespace Gitfleet.TestSupport.Processes;

/// <summary>Runs a short command to its end and returns its exit code and output (stdout and stderr, interleaved).</summary>
public static class Command
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in {timeout ?? TimeSpan.FromMinutes(2)}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Runs the command and throws with its output when it fails.</summary>
    public static async Task<string> CheckedAsync(string fileName, params string[] arguments)
    {
        var (code, output) = await RunAsync(fileName, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {code}:\n{output}");
    }
}
