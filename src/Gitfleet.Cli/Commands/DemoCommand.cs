using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Core.Facts;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet demo</c>: Gitfleet's main job on its embedded defaults. Creates the sample fleet (the seeds' seven
/// devices) as a git repository, validates it, and plans every stage against the sample facts.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var directory = new Option<string>("--dir")
        {
            Description = "Where the demo keeps its files (recreated on every run).",
            DefaultValueFactory = _ => Path.Combine(".gitfleet", "demo"),
            HelpName = "DIR",
        };
        var command = new Command("demo", "Create the sample fleet of seven devices and show what each stage (main, canary, production) would change.")
        {
            directory,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = console.ResolvePath(parse.GetValue(directory)!);
            var fleet = Path.Combine(root, "fleet");
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            var sha = await SampleFleet.CreateAsync(fleet, cancellationToken).ConfigureAwait(false);
            console.Out.MarkupLine($"[bold]Gitfleet demo[/]: the sample fleet of \"Managing an IoT Fleet with GitOps\" in {Markup.Escape(fleet)} ({sha[..12]})");
            console.Out.MarkupLine("Devices subscribe to a branch; a merge to that branch is the deployment. Here is what each stage would change:");
            console.Out.WriteLine();

            // The sample templates read two secrets; the demo supplies sample values unless the environment has them.
            string? Secrets(string name) => console.Environment(name) ?? name switch
            {
                "INFLUXDB_HTTP_TOKEN" => "sample-influxdb-token",
                "GITHUB_RUNNER_TOKEN" => "sample-runner-token",
                _ => null,
            };

            var access = await RepositoryAccess.OpenAsync(console, fleet, Path.Combine(root, "cache"), cancellationToken).ConfigureAwait(false);
            var facts = FactsDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(fleet, "sample-facts.json"), cancellationToken).ConfigureAwait(false));
            foreach (var branch in SampleFleet.Branches)
            {
                var revision = await access.LoadValidAsync(branch, cancellationToken).ConfigureAwait(false);
                var (plan, _) = await PlanCommand.PlanAsync(access, revision, branch, facts.Devices, Secrets, cancellationToken).ConfigureAwait(false);
                PlanView.Print(console, plan, all: false, limit: 50);
                console.Out.WriteLine();
            }

            console.Out.MarkupLine("Try it yourself:");
            console.Out.MarkupLine($"  ./gitfleet validate --repo {Markup.Escape(fleet)}");
            console.Out.MarkupLine($"  ./gitfleet plan --repo {Markup.Escape(fleet)} --branch production --facts {Markup.Escape(Path.Combine(fleet, "sample-facts.json"))}");
            console.Out.MarkupLine("  ./gitfleet --help");
            return ExitCodes.Ok;
        });
        return command;
    }
}
