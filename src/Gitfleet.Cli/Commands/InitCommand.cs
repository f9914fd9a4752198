using System.CommandLine;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet init DIR</c>: a git repository holding the seeds' sample fleet, ready to validate and plan.</summary>
internal static class InitCommand
{
    public static Command Create(CliConsole console)
    {
        var directory = new Argument<string>("DIR") { Description = "Where to create the fleet repository (must not exist or be empty)." };
        var command = new Command("init", "Create a git repository holding a sample fleet of seven devices with branches main, canary and production.")
        {
            directory,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = console.ResolvePath(parse.GetValue(directory)!);
            var sha = await SampleFleet.CreateAsync(path, cancellationToken).ConfigureAwait(false);
            var shown = Markup.Escape(parse.GetValue(directory)!);
            console.Out.MarkupLine($"Created the sample fleet in [bold]{Markup.Escape(path)}[/] at {sha[..12]} with branches {string.Join(", ", SampleFleet.Branches)}.");
            console.Out.MarkupLine("Next:");
            console.Out.MarkupLine($"  gitfleet validate --repo {shown}");
            console.Out.MarkupLine("  export INFLUXDB_HTTP_TOKEN=sample-influxdb-token GITHUB_RUNNER_TOKEN=sample-runner-token");
            console.Out.MarkupLine($"  gitfleet plan --repo {shown} --branch production --facts {shown}/sample-facts.json");
            return ExitCodes.Ok;
        });
        return command;
    }
}
