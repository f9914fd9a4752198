using System.Runtime.InteropServices;

namespace Gitfleet.Cli;

/// <summary>
/// The runtime settings a command runs with. The binary's runtimeconfig is tuned for one-shot commands (a CI job's
/// <c>gitfleet plan</c>): dynamic PGO off, because a 200,000-device plan spent a fifth of its CPU re-compiling hot
/// ReadyToRun code with PGO counters that a process living seconds never pays back (docs/benchmarks.md, Planning).
/// The long-running commands (server, simulator, demo) want dynamic PGO, and the runtime reads it only when it starts,
/// so before anything else runs they replace the process with itself (execve: same pid, same arguments, same open
/// descriptors) with <c>DOTNET_TieredPGO=1</c> set. A <c>DOTNET_TieredPGO</c> already in the environment is the
/// user's choice and is kept (which also ends the replacement after one step).
/// </summary>
internal static class RuntimeProfile
{
    /// <summary>What a long-running command sets back to the runtime's defaults (the runtimeconfig turns them off).</summary>
    private static readonly (string Variable, string Value)[] LongRunningSettings = [("DOTNET_TieredPGO", "1")];

    /// <summary>
    /// The server's, besides: a 64 MiB gen0 budget. This VM reports no cache sizes, and the GC then collects gen0
    /// about every 2 MB; a 200,000-device restart storm (tens of MB allocated per second) cost 131 against 141 µs of
    /// server CPU per request with it (docs/benchmarks.md, "A 200,000-device restart storm's steady state"). The runtime
    /// reads it from the environment only (not from runtimeconfig.json: docs/benchmarks.md, issue 13, reconcile-gc).
    /// </summary>
    private static readonly (string Variable, string Value)[] ServerSettings = [.. LongRunningSettings, ("DOTNET_GCgen0size", "0x4000000")];

    /// <summary>The command a command line runs: its first word that is not an option.</summary>
    internal static string? CommandOf(IReadOnlyList<string> args) => args.FirstOrDefault(a => !a.StartsWith('-'));

    /// <summary>
    /// The settings this command line restarts itself with: the long-running commands' (server, simulate, demo), none
    /// for one-shot commands, and none when any of them is in the environment already (the user's choice, kept as it is).
    /// </summary>
    internal static IReadOnlyList<(string Variable, string Value)> SettingsFor(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        (string Variable, string Value)[] settings = CommandOf(args) switch
        {
            "server" => ServerSettings,
            "simulate" or "demo" => LongRunningSettings,
            _ => [],
        };
        return settings.All(s => string.IsNullOrEmpty(environment(s.Variable))) ? settings : [];
    }

    /// <summary>Whether this command line should run with dynamic PGO switched back on (see the class).</summary>
    internal static bool WantsPgo(IReadOnlyList<string> args, Func<string, string?> environment) => SettingsFor(args, environment).Count > 0;

    /// <summary>
    /// Replaces this process with itself with dynamic PGO on when the command is a long-running one. Returns only when
    /// it does not (a one-shot command, a setting of the user's, not Linux, or execve failing: then the command runs
    /// as it is, without dynamic PGO).
    /// </summary>
    public static void Apply(string[] args)
    {
        var settings = SettingsFor(args, Environment.GetEnvironmentVariable);
        if (!OperatingSystem.IsLinux() || settings.Count == 0)
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

        environment.AddRange(settings.Select(s => $"{s.Variable}={s.Value}"));
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
