using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Client;
using Gitfleet.Client.Applying;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Git;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet apply</c>: the seeds' CI job. Plans a branch against what the server knows and, in run mode,
/// schedules the changes: on a Gitfleet server by submitting the branch's target (the server rolls it out in
/// waves); on a Mender server through its management API alone. Dry-run by default; never waits for devices.
/// </summary>
internal static class ApplyCommand
{
    public static Command Create(CliConsole console)
    {
        var repo = CommonOptions.Repo();
        var branch = new Option<string>("--branch", "-b") { Description = "The branch (stage) to apply.", Required = true, HelpName = "BRANCH" };
        var mode = new Option<string>("--mode")
        {
            Description = "dry-run: print the plan, change nothing (exit 2 when changes are planned). run: schedule the changes.",
            DefaultValueFactory = _ => "dry-run",
            HelpName = "dry-run|run",
        };
        mode.AcceptOnlyFromAmong("dry-run", "run");
        var protocol = new Option<string>("--protocol")
        {
            Description = "auto: Gitfleet's endpoints when the server offers them, else Mender's. mender: Mender's management API only.",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|mender",
        };
        protocol.AcceptOnlyFromAmong("auto", "mender");
        var json = CommonOptions.Json();
        var cacheDir = CommonOptions.CacheDir();
        var connection = new ServerConnection(required: true);
        var command = new Command("apply", "Plan a branch against the server and, with --mode run, schedule its changes. Exit 0: done (or nothing to do); 1: something failed; 2: dry-run with changes.")
        {
            repo, branch, mode, protocol, json, cacheDir,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var source = parse.GetValue(repo)!;
            var branchName = parse.GetValue(branch)!;
            var run = parse.GetValue(mode) == "run";
            var access = await RepositoryAccess.OpenAsync(console, source, parse.GetValue(cacheDir), cancellationToken).ConfigureAwait(false);
            var revision = await access.LoadValidAsync(branchName, cancellationToken).ConfigureAwait(false);
            using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
            try
            {
                var context = await PlanCommand.PrepareAsync(access, branchName, revision, cancellationToken).ConfigureAwait(false);
                var facts = await client.GetFactsAsync(context.Projection, cancellationToken).ConfigureAwait(false);
                var planned = BranchPlanner.Plan(context, facts.Devices, console.Environment, cancellationToken: cancellationToken);
                var plan = planned.Plan;
                var transfer = PlanCommand.Transfer(plan, facts, planned.Revision);
                if (!parse.GetValue(json))
                {
                    foreach (var note in planned.Notes)
                    {
                        console.Out.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
                    }

                    PlanView.Print(console, plan, all: false, limit: 200);
                    TransferView.Print(console, transfer.Estimate, transfer.Warnings);
                }

                var info = parse.GetValue(protocol) == "mender" ? null : await client.GetServerInfoAsync(cancellationToken).ConfigureAwait(false);
                var missing = await MissingArtifactsAsync(client, plan, cancellationToken).ConfigureAwait(false);
                if (!run)
                {
                    if (parse.GetValue(json))
                    {
                        WriteJson(console, source, plan, "dry-run", info is not null && info.Supports("branches") ? "gitfleet" : "mender", null, [], missing, transfer);
                    }
                    else
                    {
                        console.Out.MarkupLine("[grey]Dry run: nothing was scheduled. Run with --mode run to apply.[/]");
                        PrintMissing(console, missing);
                    }

                    return plan.Summary.HasChanges ? ExitCodes.ChangesPlanned : ExitCodes.Ok;
                }

                var trace = new DeploymentTrace(branchName, plan.Commit?.Sha, plan.Commit?.Author, plan.Commit?.Subject);
                if (info is not null && info.Supports("branches"))
                {
                    var target = BranchTargetBuilder.Build(plan, planned.Revision, planned.Members);
                    var submission = await client.SubmitTargetAsync(target, cancellationToken).ConfigureAwait(false);
                    if (parse.GetValue(json))
                    {
                        WriteJson(console, source, plan, "run", "gitfleet", submission, [], missing, transfer);
                    }
                    else
                    {
                        console.Out.MarkupLine(submission.Unchanged
                            ? $"The server already rolls out {Markup.Escape(Short(submission.Commit))} on {Markup.Escape(branchName)}: nothing new to schedule."
                            : $"Submitted {Markup.Escape(branchName)} at {Markup.Escape(Short(submission.Commit))} ({target.Devices.Count} devices): the server rolls it out per gitfleet.yml. Follow it with: gitfleet status --branch {Markup.Escape(branchName)}");
                        PrintMissing(console, missing);
                    }

                    return missing.Count > 0 ? ExitCodes.Error : ExitCodes.Ok;
                }

                var outcomes = await new MenderApplier(client).ApplyAsync(plan, trace, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    WriteJson(console, source, plan, "run", "mender", null, outcomes, missing, transfer);
                }
                else
                {
                    PrintOutcomes(console, outcomes);
                }

                return outcomes.Any(o => !o.Succeeded) ? ExitCodes.Error : ExitCodes.Ok;
            }
            catch (ManagementApiException e)
            {
                throw new CliException(e.Message, e);
            }
        });
        return command;
    }

    /// <summary>Images the plan needs that the server has no artifact for: a clear error for those devices.</summary>
    private static async Task<IReadOnlyList<string>> MissingArtifactsAsync(ManagementClient client, Plan plan, CancellationToken cancellationToken)
    {
        var needed = plan.Devices.Where(d => d.Os.Kind == ActionKind.Update && d.Os.To is not null).Select(d => d.Os.To!).ToHashSet(StringComparer.Ordinal);
        if (needed.Count == 0)
        {
            return [];
        }

        var known = (await client.ListArtifactsAsync(cancellationToken).ConfigureAwait(false)).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        return needed.Where(n => !known.Contains(n)).Order(StringComparer.Ordinal).ToList();
    }

    private static void PrintMissing(CliConsole console, IReadOnlyList<string> missing)
    {
        foreach (var image in missing)
        {
            console.Out.MarkupLine($"[red]error:[/] artifact '{Markup.Escape(image)}' is not on the server; its devices cannot update until it is uploaded (mender-cli artifacts upload FILE)");
        }
    }

    private static void PrintOutcomes(CliConsole console, IReadOnlyList<ApplyOutcome> outcomes)
    {
        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        foreach (var outcome in failed.Take(50))
        {
            console.Out.MarkupLine($"[red]failed[/] {Markup.Escape(outcome.Device)} {outcome.Action}: {Markup.Escape(outcome.Message)}");
        }

        console.Out.MarkupLine($"Scheduled: {outcomes.Count(o => o.Succeeded && o.Action == "os")} OS updates, {outcomes.Count(o => o.Succeeded && o.Action == "configuration")} configurations, " +
            $"{outcomes.Count(o => o.Succeeded && o.Action == "abort")} aborts; {(failed.Count > 0 ? $"[red]{failed.Count} failed[/]" : "0 failed")}.");
    }

    private static void WriteJson(
        CliConsole console, string repository, Plan plan, string mode, string protocol, TargetSubmission? submission, IReadOnlyList<ApplyOutcome> outcomes,
        IReadOnlyList<string> missing, (Core.Delivery.TransferEstimate Estimate, IReadOnlyList<string> Warnings) transfer)
    {
        var commit = plan.Commit is { } c ? new CommitJson(c.Sha, c.Author, c.Subject, c.Timestamp) : null;
        var devices = plan.Devices.Where(d => d.HasChanges || d.IsInFlight || d.Problems.Count > 0).ToList();
        CliJson.Write(console, new ApplyJson(repository, plan.Branch, mode, protocol, commit, plan.Summary, devices,
            submission is null ? null : new SubmissionJson(submission.Commit, submission.Unchanged),
            outcomes.Select(o => new OutcomeJson(o.Device, o.Action, o.Succeeded, o.Message, o.DeploymentId)).ToList(),
            missing, transfer.Estimate, transfer.Warnings), CliJson.Context.ApplyJson);
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
