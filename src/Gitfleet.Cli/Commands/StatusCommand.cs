using System.CommandLine;
using System.Text.Json;
using Gitfleet.Cli.Output;
using Gitfleet.Client;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet status</c>: per stage, how many devices converged, are pending, in progress, failed, offline or
/// drifted, and why the failing ones failed. With --wait, follows the stage until it converges.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliConsole console)
    {
        var branch = new Option<string?>("--branch", "-b") { Description = "Only this branch (default: every branch the server knows).", HelpName = "BRANCH" };
        var commit = new Option<string?>("--commit") { Description = "Converged means: on this commit (a SHA or its prefix).", HelpName = "SHA" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the stage converges (exit 0), fails (1) or the timeout passes (3)." };
        var timeout = new Option<string>("--timeout") { Description = "With --wait: how long (30s, 10m, 1h).", DefaultValueFactory = _ => "30m", HelpName = "DURATION" };
        var interval = new Option<string>("--interval") { Description = "With --wait: how often to ask the server.", DefaultValueFactory = _ => "5s", HelpName = "DURATION" };
        var limit = new Option<int>("--limit") { Description = "Show at most this many problem devices per branch.", DefaultValueFactory = _ => 20 };
        var json = CommonOptions.Json();
        var connection = new ServerConnection(required: true);
        var command = new Command("status", "How each stage is doing: converged, pending, in progress, failed (and why), offline, drifted. Exit 0: converged; 1: failures, or drift the branch does not correct; 2: not converged yet; 3: --wait timed out.")
        {
            branch, commit, wait, timeout, interval, limit, json,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var waitFor = Duration(parse.GetValue(timeout)!, "--timeout");
            var every = Duration(parse.GetValue(interval)!, "--interval");
            using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
            await RequireBranchesAsync(client, "status", cancellationToken).ConfigureAwait(false);
            var deadline = DateTimeOffset.UtcNow + waitFor;
            while (true)
            {
                var statuses = await ReadAsync(client, parse.GetValue(branch), cancellationToken).ConfigureAwait(false);
                var outcome = Outcome(statuses, parse.GetValue(commit));
                var done = !parse.GetValue(wait) || outcome != ExitCodes.ChangesPlanned;
                var timedOut = !done && DateTimeOffset.UtcNow + every > deadline;
                if (done || timedOut)
                {
                    if (parse.GetValue(json))
                    {
                        console.Json.WriteLine(JsonSerializer.Serialize(statuses, ReconcileJson.Context.IReadOnlyListBranchStatus));
                    }
                    else
                    {
                        StatusView.Print(console, statuses, Math.Max(1, parse.GetValue(limit)));
                        if (timedOut)
                        {
                            console.Error.WriteLine($"timeout: not converged after {DurationText.Format(waitFor)}");
                        }
                    }

                    return timedOut ? ExitCodes.Timeout : outcome;
                }

                await Task.Delay(every, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    internal static async Task RequireBranchesAsync(ManagementClient client, string what, CancellationToken cancellationToken)
    {
        if ((await client.GetServerInfoAsync(cancellationToken).ConfigureAwait(false))?.Supports("branches") != true)
        {
            throw new CliException($"{what} needs a Gitfleet server: it tracks the stages and their rollouts (a Mender server does not)");
        }
    }

    internal static TimeSpan Duration(string text, string option) =>
        DurationText.TryParse(text, out var value, out var problem) ? value : throw new CliException($"{option} {problem}, not '{text}'");

    private static async Task<IReadOnlyList<BranchStatus>> ReadAsync(ManagementClient client, string? branch, CancellationToken cancellationToken)
    {
        try
        {
            if (branch is null)
            {
                return await client.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
            }

            return [await client.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"the server knows no branch '{branch}' (apply it first: gitfleet apply --branch {branch} --mode run)")];
        }
        catch (ManagementApiException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>0 converged (on the commit), 1 failures (or drift nobody corrects: waiting will not help), 2 not yet.</summary>
    private static int Outcome(IReadOnlyList<BranchStatus> statuses, string? commit)
    {
        if (statuses.Any(s => s.Devices.Failed > 0 || (s.Devices.Modified > 0 && !s.CorrectDrift)
            || s.Conditions.Any(c => c.Type == StatusCondition.Stalled && c.Status)))
        {
            return ExitCodes.Error;
        }

        var onCommit = commit is null || statuses.All(s => s.AppliedCommit?.Sha.StartsWith(commit, StringComparison.OrdinalIgnoreCase) == true);
        return onCommit && statuses.All(s => s.IsConverged || s.Devices.Total == s.Devices.Problems) ? ExitCodes.Ok : ExitCodes.ChangesPlanned;
    }
}
