using System.CommandLine;

namespace Gitfleet.Cli.Commands;

/// <summary>The list of top-level commands, in the order `gitfleet --help` shows them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return InitCommand.Create(console);
        yield return ValidateCommand.Create(console);
        yield return PlanCommand.Create(console);
        yield return VersionCommand.Create(console);
        yield return ServerCommand.Create(console);
        yield return SimulateCommand.Create(console);
    }
}
