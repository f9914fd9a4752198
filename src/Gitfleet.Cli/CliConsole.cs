using Spectre.Console;

namespace Gitfleet.Cli;

/// <summary>
/// Where a command writes: tables and progress to <see cref="Out"/> (Spectre), machine output (JSON) to
/// <see cref="Json"/>, problems to <see cref="Error"/>. Tests pass string writers; the process passes the terminal.
/// </summary>
public sealed class CliConsole
{
    public CliConsole(TextWriter stdout, TextWriter stderr, bool interactive, Func<string, string?> environment, string workingDirectory)
    {
        Json = stdout;
        Error = stderr;
        Interactive = interactive;
        Environment = environment;
        WorkingDirectory = workingDirectory;
        Out = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            // Wide enough that tables are not wrapped into unreadable columns in logs and tests.
            Out.Profile.Width = 160;
        }
    }

    /// <summary>Human output: tables, trees, progress.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Machine output: exactly one JSON document per command with --json.</summary>
    public TextWriter Json { get; }

    /// <summary>
    /// The same output as <see cref="Json"/> as UTF-8 bytes (the process's stdout when it is UTF-8; null in tests), so a
    /// large document (a 200,000-device plan is 18 MB) is written as it is serialized instead of held as a string.
    /// </summary>
    public Stream? JsonStream { get; init; }

    public TextWriter Error { get; }

    /// <summary>True on a terminal; false in CI, tests and pipes (no colours, no live progress).</summary>
    public bool Interactive { get; }

    /// <summary>Environment variables (secrets for templates, GITFLEET_* settings).</summary>
    public Func<string, string?> Environment { get; }

    public string WorkingDirectory { get; }

    public static CliConsole FromProcess()
    {
        var interactive = !Console.IsOutputRedirected
            && !string.Equals(System.Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        return new CliConsole(Console.Out, Console.Error, interactive, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory())
        {
            JsonStream = Console.OutputEncoding.CodePage == System.Text.Encoding.UTF8.CodePage ? Console.OpenStandardOutput() : null,
        };
    }

    /// <summary>Writes "error: message" to stderr (never a stack trace) and returns <see cref="ExitCodes.Error"/>.</summary>
    public int Fail(string message)
    {
        Error.WriteLine($"error: {message}");
        return ExitCodes.Error;
    }

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);
}
