using System.CommandLine;

namespace Gitfleet.Cli.Commands;

/// <summary>The list of top-level commands, in the order `gitfleet --help` shows them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return DemoCommand.Create(console);
        yield return InitCommand.Create(console);
        yield return ValidateCommand.Create(console);
        yield return PlanCommand.Create(console);
        yield return ApplyCommand.Create(console);
        yield return StatusCommand.Create(console);
        yield return GateCommand.Create(console);
        yield return HistoryCommand.Create(console);
        yield return RolloutCommand.Create(console);
        yield return RevertCommand.Create(console);
        yield return ServerCommand.Create(console);
        yield return SimulateCommand.Create(console);
        yield return VersionCommand.Create(console);
    }
}
