using System.Runtime.InteropServices;

namespace Gitfleet.Cli;

/// <summary>
/// The runtime settings a command runs with. The binary's runtimeconfig is tuned for one-shot commands (a CI job's
/// <c>gitfleet plan</c>): dynamic PGO off, because a 200,000-device plan spent a fifth of its CPU re-compiling hot
/// ReadyToRun code with PGO counters that a process living seconds never pays back (docs/benchmarks.md, Planning);
/// the release build (scripts/publish-release.sh) also has tiered compilation off, its composite image having
/// precompiled nearly everything. The long-running commands (server, simulator, demo) want both back, and the runtime
/// reads them only when it starts, so before anything else runs they replace the process with itself (execve: same
/// pid, same arguments, same open descriptors) with <c>DOTNET_TieredPGO=1</c> (and <c>DOTNET_TieredCompilation=1</c>
/// when the runtimeconfig turned it off) set, the server also with a larger gen0 budget. A variable already in the
/// environment is the user's choice and is kept (which also ends the replacement after one step).
/// </summary>
internal static class RuntimeProfile
{
    /// <summary>
    /// What a long-running command sets back to the runtime's defaults when the runtimeconfig turned it off: the
    /// variable and the runtimeconfig property it overrides.
    /// </summary>
    private static readonly (string Variable, string ConfigProperty)[] LongRunningSettings =
        [("DOTNET_TieredPGO", "System.Runtime.TieredPGO"), ("DOTNET_TieredCompilation", "System.Runtime.TieredCompilation")];

    /// <summary>
    /// The server's, besides: a 64 MiB gen0 budget. This VM reports no cache sizes, and the GC then collects gen0
    /// about every 2 MB; a 200,000-device restart storm (tens of MB allocated per second) cost 131 against 141 µs of
    /// server CPU per request with it (docs/benchmarks.md, "A 200,000-device restart storm's steady state"). The runtime
    /// reads it from the environment only (not from runtimeconfig.json: docs/benchmarks.md, issue 13, reconcile-gc).
    /// </summary>
    private static readonly (string Variable, string Value)[] ServerSettings = [("DOTNET_GCgen0size", "0x4000000")];

    /// <summary>Commands that run until stopped: they get dynamic PGO, as the server has always had.</summary>
    private static readonly string[] LongRunning = ["server", "simulate", "demo"];

    /// <summary>The command a command line runs: its first word that is not an option.</summary>
    internal static string? CommandOf(IReadOnlyList<string> args) => args.FirstOrDefault(a => !a.StartsWith('-'));

    /// <summary>
    /// The variables (<c>NAME=VALUE</c>) this command line should restart itself with (see the class): none for a
    /// one-shot command; for a long-running one, each setting the runtimeconfig turned off (back to on), and for the
    /// server its gen0 budget, each unless the environment sets that variable already (the user's choice, kept).
    /// </summary>
    internal static IReadOnlyList<string> SettingsFor(
        IReadOnlyList<string> args, Func<string, string?> environment, Func<string, object?> runtimeConfig)
    {
        if (CommandOf(args) is not { } command || !LongRunning.Contains(command, StringComparer.Ordinal))
        {
            return [];
        }

        var restored = LongRunningSettings
            .Where(s => string.Equals(runtimeConfig(s.ConfigProperty)?.ToString(), "false", StringComparison.OrdinalIgnoreCase))
            .Select(s => (s.Variable, Value: "1"));
        var added = command == "server" ? ServerSettings : [];
        return [.. restored.Concat(added).Where(s => string.IsNullOrEmpty(environment(s.Variable))).Select(s => $"{s.Variable}={s.Value}")];
    }

    /// <summary>
    /// Replaces this process with itself with dynamic PGO (and tiered compilation) on when the command is a long-running
    /// one. Returns only when it does not (a one-shot command, a setting of the user's, not Linux, or execve failing:
    /// then the command runs as it is, with the runtimeconfig's settings).
    /// </summary>
    public static void Apply(string[] args)
    {
        var settings = OperatingSystem.IsLinux()
            ? SettingsFor(args, Environment.GetEnvironmentVariable, AppContext.GetData)
            : [];
        if (settings.Count == 0)
        {
            return;
        }

        string[] argv;
        try
        {
            // The process's own argv (`dotnet gitfleet.dll server …` or the apphost's `gitfleet server …`), not the
            // arguments the runtime passed to Main.
            argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        if (argv.Length == 0 || argv[0].Length == 0)
        {
            return;
        }

        var environment = new List<string?>();
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{variable.Key}={variable.Value}");
        }

        environment.AddRange(settings);
        environment.Add(null);
        var arguments = new List<string?>(argv) { null };

        // Only returns when it failed; the command then runs in this process.
        _ = NativeMethods.execve("/proc/self/exe", [.. arguments], [.. environment]);
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int execve(string path, string?[] argv, string?[] envp);
    }
}
