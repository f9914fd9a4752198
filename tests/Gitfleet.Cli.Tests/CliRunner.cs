using System.Runtime.CompilerServices;

namespace Gitfleet.Cli.Tests;

/// <summary>Runs the gitfleet CLI in-process with captured output and a controlled environment.</summary>
internal static class CliRunner
{
    public static readonly IReadOnlyDictionary<string, string> SampleSecrets = new Dictionary<string, string>
    {
        ["INFLUXDB_HTTP_TOKEN"] = "sample-influxdb-token",
        ["GITHUB_RUNNER_TOKEN"] = "sample-runner-token",
    };

    public static Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAsync(workingDirectory, environment, CancellationToken.None, args);

    /// <summary>Runs with a token that plays Ctrl-C.</summary>
    public static Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, CancellationToken interrupt, params string[] args) =>
        RunAsync(workingDirectory, environment, interrupt, jsonAsBytes: false, args);

    /// <summary>Runs as the process does on a UTF-8 terminal: JSON written as bytes (<see cref="CliConsole.JsonStream"/>), after any text.</summary>
    public static Task<CliResult> RunWithJsonBytesAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAsync(workingDirectory, environment, CancellationToken.None, jsonAsBytes: true, args);

    private static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, CancellationToken interrupt, bool jsonAsBytes, string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var bytes = new MemoryStream();
        var cache = Path.Combine(Path.GetTempPath(), "gitfleet-test-cache");
        var console = new CliConsole(stdout, stderr, interactive: false,
            name => environment?.GetValueOrDefault(name) ?? (name == "XDG_CACHE_HOME" ? cache : null),
            workingDirectory)
        {
            JsonStream = jsonAsBytes ? bytes : null,
        };
        var exit = await GitfleetCli.RunAsync(args, console, interrupt);
        return new CliResult(exit, stdout.ToString() + System.Text.Encoding.UTF8.GetString(bytes.ToArray()), stderr.ToString());
    }

    /// <summary>Compares with a golden file; GITFLEET_UPDATE_GOLDEN=1 rewrites it instead.</summary>
    public static void ShouldMatchGolden(this string actual, string name, [CallerFilePath] string source = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name);
        var normalized = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("GITFLEET_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, normalized);
            return;
        }

        File.Exists(path).ShouldBeTrue($"golden file {path} is missing; run the tests with GITFLEET_UPDATE_GOLDEN=1 to create it");
        normalized.ShouldBe(File.ReadAllText(path));
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);
