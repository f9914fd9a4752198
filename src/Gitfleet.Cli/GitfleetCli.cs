using System.CommandLine;
using Gitfleet.Cli.Commands;

namespace Gitfleet.Cli;

/// <summary>Builds the command tree and runs it. Every command lives in Commands/ as one file.</summary>
public static class GitfleetCli
{
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand(
            "Gitfleet: a git repository is the single source of truth for a fleet of Linux IoT devices.\n" +
            "Branches are rollout stages; a merge is a deployment. Devices run the Mender client and only pull.");
        foreach (var command in CommandCatalog.Create(console))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        var root = Build(console);
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = console.Json,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,

            // Program.cs turns SIGINT and SIGTERM into the cancellation token; System.CommandLine's own handling would
            // end the process two seconds after SIGTERM, before a command finished (the simulator's JSON summary).
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (CliException e)
        {
            return console.Fail(e.Message);
        }
#pragma warning disable CA1031 // The last line of defence: a user never sees a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            console.Error.WriteLine($"error: {e.Message}");
            console.Error.WriteLine("This is a bug in Gitfleet; set GITFLEET_DEBUG=1 to see the details, and please report it.");
            if (console.Environment("GITFLEET_DEBUG") == "1")
            {
                console.Error.WriteLine(e.ToString());
            }

            return ExitCodes.Error;
        }
    }
}

/// <summary>An error a user can act on; printed as "error: message", exit code 1.</summary>
public sealed class CliException : Exception
{
    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CliException()
    {
    }
}
