using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Client;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet rollout pause|resume|abort --branch B</c>: operator control of a stage's rollout.</summary>
internal static class RolloutCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("rollout", "Pause, resume or abort a stage's rollout on a Gitfleet server.");
        foreach (var (action, description) in new[]
        {
            ("pause", "Stop scheduling more devices (devices already updating finish)."),
            ("resume", "Continue a paused rollout; failures so far count as acknowledged for the failure threshold."),
            ("abort", "Abort the rollout's unfinished deployments and schedule nothing more for this commit."),
        })
        {
            var branch = new Option<string>("--branch", "-b") { Required = true, Description = "The stage.", HelpName = "BRANCH" };
            var connection = new ServerConnection(required: true);
            var sub = new Command(action, description) { branch };
            connection.AddTo(sub);
            sub.SetAction(async (parse, cancellationToken) =>
            {
                using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
                await StatusCommand.RequireBranchesAsync(client, "rollout " + action, cancellationToken).ConfigureAwait(false);
                try
                {
                    var status = await client.ControlRolloutAsync(parse.GetValue(branch)!, action, cancellationToken).ConfigureAwait(false);
                    StatusView.Print(console, [status], 20);
                    return ExitCodes.Ok;
                }
                catch (ManagementApiException e)
                {
                    throw new CliException(e.Message, e);
                }
            });
            command.Subcommands.Add(sub);
        }

        return command;
    }
}
