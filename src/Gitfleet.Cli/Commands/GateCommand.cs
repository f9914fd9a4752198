using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Client;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet gate</c>: the required check on a merge request canary → production. Passes (exit 0) only when the
/// stage converged on the commit and stayed healthy for the soak time.
/// </summary>
internal static class GateCommand
{
    public static Command Create(CliConsole console)
    {
        var branch = new Option<string>("--branch", "-b") { Description = "The stage whose health gates the promotion (for example canary).", Required = true, HelpName = "BRANCH" };
        var commit = new Option<string?>("--commit") { Description = "The commit that must have converged (the merge request's source head).", HelpName = "SHA" };
        var minSuccess = new Option<string>("--min-success") { Description = "The share of the stage's devices that must have converged.", DefaultValueFactory = _ => "100%", HelpName = "PERCENT" };
        var soak = new Option<string>("--soak") { Description = "How long the stage must have stayed healthy since its rollout completed.", DefaultValueFactory = _ => "0s", HelpName = "DURATION" };
        var wait = new Option<bool>("--wait") { Description = "Keep checking until the gate passes, fails for good (exit 1) or the timeout passes (exit 3)." };
        var timeout = new Option<string>("--timeout") { Description = "With --wait.", DefaultValueFactory = _ => "30m", HelpName = "DURATION" };
        var interval = new Option<string>("--interval") { Description = "With --wait.", DefaultValueFactory = _ => "10s", HelpName = "DURATION" };
        var json = CommonOptions.Json();
        var connection = new ServerConnection(required: true);
        var command = new Command("gate", "Pass (exit 0) only when a stage converged on a commit and stayed healthy for the soak time. Exit 1: not passed; 3: --wait timed out.")
        {
            branch, commit, minSuccess, soak, wait, timeout, interval, json,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var share = parse.GetValue(minSuccess)!.TrimEnd('%');
            if (!double.TryParse(share, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent is not (>= 0 and <= 100))
            {
                return console.Fail($"--min-success must be a percentage from 0% to 100%, not '{parse.GetValue(minSuccess)}'");
            }

            var soakTime = StatusCommand.Duration(parse.GetValue(soak)!, "--soak");
            var waitFor = StatusCommand.Duration(parse.GetValue(timeout)!, "--timeout");
            var every = StatusCommand.Duration(parse.GetValue(interval)!, "--interval");
            using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
            await StatusCommand.RequireBranchesAsync(client, "gate", cancellationToken).ConfigureAwait(false);
            var deadline = DateTimeOffset.UtcNow + waitFor;
            while (true)
            {
                GateResult result;
                try
                {
                    result = await client.GetGateAsync(parse.GetValue(branch)!, parse.GetValue(commit), percent, soakTime, cancellationToken).ConfigureAwait(false);
                }
                catch (ManagementApiException e)
                {
                    throw new CliException(e.Message, e);
                }

                var timedOut = !result.Passed && !result.Final && parse.GetValue(wait) && DateTimeOffset.UtcNow + every > deadline;
                if (result.Passed || result.Final || !parse.GetValue(wait) || timedOut)
                {
                    if (parse.GetValue(json))
                    {
                        console.Json.WriteLine(JsonSerializer.Serialize(result, ReconcileJson.Context.GateResult));
                    }
                    else if (result.Passed)
                    {
                        console.Out.MarkupLine($"[green]gate passed[/]: {Markup.Escape(parse.GetValue(branch)!)} converged and stayed healthy for {DurationText.Format(soakTime)}");
                    }
                    else
                    {
                        console.Out.MarkupLine($"[red]gate not passed[/] for {Markup.Escape(parse.GetValue(branch)!)}:");
                        foreach (var reason in result.Reasons)
                        {
                            console.Out.MarkupLine($"  - {Markup.Escape(reason)}");
                        }
                    }

                    return result.Passed ? ExitCodes.Ok : timedOut ? ExitCodes.Timeout : ExitCodes.Error;
                }

                await Task.Delay(every, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }
}
