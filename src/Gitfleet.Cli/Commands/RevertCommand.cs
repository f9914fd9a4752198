using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Client;
using Gitfleet.Core.Reconcile;
using Gitfleet.Git;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet revert --branch B</c>: the git side of undoing a bad rollout. A revert commit of the offending
/// commit (by default the one the server rolls out on B, else B's head) on a new branch, with the failed devices
/// and their reasons in its message, ready for a merge request. It never changes or pushes the stage branch.
/// </summary>
internal static class RevertCommand
{
    public static Command Create(CliConsole console)
    {
        var branch = new Option<string>("--branch", "-b") { Required = true, Description = "The stage whose rollout to revert.", HelpName = "BRANCH" };
        var repo = CommonOptions.Repo();
        var commit = new Option<string?>("--commit") { Description = "The commit to revert (default: the commit the server rolls out on the branch; without --server, the branch's head).", HelpName = "SHA" };
        var newBranch = new Option<string?>("--new-branch") { Description = "Name of the branch to create (default: revert/BRANCH-SHORTSHA).", HelpName = "NAME" };
        var push = new Option<string?>("--push") { Description = "Push the new branch (only it) to this remote, e.g. origin. A repository given as a URL is always pushed to.", HelpName = "REMOTE" };
        var json = CommonOptions.Json();
        var cacheDir = CommonOptions.CacheDir();
        var connection = new ServerConnection(required: false);
        var command = new Command("revert", "Prepare a revert of a stage's offending commit on a new branch, with the failed devices and reasons in its message; never pushed to the stage.")
        {
            branch, repo, commit, newBranch, push, json, cacheDir,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stage = parse.GetValue(branch)!;
            var access = await RepositoryAccess.OpenAsync(console, parse.GetValue(repo)!, parse.GetValue(cacheDir), cancellationToken).ConfigureAwait(false);
            BranchStatus? status = null;
            if (connection.ServerUrl(parse, console) is not null)
            {
                using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
                await StatusCommand.RequireBranchesAsync(client, "revert", cancellationToken).ConfigureAwait(false);
                try
                {
                    status = await client.GetBranchAsync(stage, cancellationToken).ConfigureAwait(false)
                        ?? throw new CliException($"the server does not reconcile branch '{stage}'");
                }
                catch (ManagementApiException e)
                {
                    throw new CliException(e.Message, e);
                }
            }

            var target = parse.GetValue(commit) ?? status?.AppliedCommit?.Sha ?? stage;
            try
            {
                var sha = await access.Repository.TryResolveAsync(target, cancellationToken).ConfigureAwait(false)
                    ?? throw new CliException($"the repository has no commit '{target}'{(status is null ? "" : " (the server's applied commit: fetch the repository?)")}");
                var reverted = await access.Repository.ReadCommitAsync(sha, cancellationToken).ConfigureAwait(false);
                var failed = status?.Issues.Where(i => i.State == "failed").Select(i => new FailedDevice(i.Device, i.Reason)).ToList();
                var message = RevertMessage.Build(reverted, stage, failed, status?.Devices.Failed ?? 0, status?.Devices.Total);
                var remote = parse.GetValue(push) ?? (access.Repository.IsMirror ? "origin" : null);
                var prepared = await BranchReverter.PrepareAsync(
                    access.Repository, stage, sha, parse.GetValue(newBranch) ?? $"revert/{stage}-{sha[..12]}", message, remote, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    CliJson.Write(console, prepared, CliJson.Context.PreparedRevert);
                }
                else
                {
                    console.Out.MarkupLine($"[green]prepared[/] branch [bold]{Markup.Escape(prepared.Branch)}[/] with commit {prepared.Commit[..12]}, reverting {Markup.Escape(reverted.ShortSha)} \"{Markup.Escape(reverted.Subject)}\"{(failed is { Count: > 0 } ? $" ({status!.Devices.Failed} failed devices named in its message)" : "")}");
                    console.Out.MarkupLine(prepared.PushedTo is { } pushed
                        ? $"pushed to {Markup.Escape(pushed)}; open a merge request {Markup.Escape(prepared.Branch)} → {Markup.Escape(stage)}"
                        : $"next: git push origin {Markup.Escape(prepared.Branch)}, then open a merge request {Markup.Escape(prepared.Branch)} → {Markup.Escape(stage)}");
                }

                return ExitCodes.Ok;
            }
            catch (GitCommandException e)
            {
                throw new CliException(e.Message, e);
            }
        });
        return command;
    }
}
