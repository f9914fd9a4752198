using System.CommandLine;
using Gitfleet.Cli.Output;
using Gitfleet.Core.Delivery;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Resolution;
using Gitfleet.Core.Rollouts;
using Gitfleet.Git;
using Spectre.Console;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet plan</c>: what applying a branch would change on each device (the seeds' dry-run).</summary>
internal static class PlanCommand
{
    public static Command Create(CliConsole console)
    {
        var repo = CommonOptions.Repo();
        var branch = new Option<string>("--branch", "-b")
        {
            Description = "The branch (rollout stage) to plan: only devices subscribed to it are considered.",
            Required = true,
            HelpName = "BRANCH",
        };
        var facts = new Option<string?>("--facts")
        {
            Description = "A facts file (JSON, schema in docs/facts.md; '-' for stdin): what the server knows about the devices. Or use --server.",
            HelpName = "FILE",
        };
        var connection = new ServerConnection(required: false);
        var all = new Option<bool>("--all") { Description = "List unchanged devices too." };
        var limit = new Option<int>("--limit")
        {
            Description = "Show at most this many devices in tables (JSON always has all).",
            DefaultValueFactory = _ => 200,
        };
        var deviceTime = new Option<string>("--device-time")
        {
            Description = "For the schedule: how long one device takes from being scheduled to done (poll interval, download, install, reboot).",
            DefaultValueFactory = _ => "10m",
            HelpName = "DURATION",
        };
        var json = CommonOptions.Json();
        var cacheDir = CommonOptions.CacheDir();
        var command = new Command("plan", "Show what would change on each device subscribed to a branch, and the rollout's schedule. Exit 0: nothing to change; 2: changes planned; 1: error.")
        {
            repo, branch, facts, all, limit, deviceTime, json, cacheDir,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var factsPath = parse.GetValue(facts);
            if (factsPath is null && connection.ServerUrl(parse, console) is null)
            {
                return console.Fail("plan needs --facts FILE or --server URL: what the server knows about the devices (see docs/facts.md)");
            }

            var perDevice = StatusCommand.Duration(parse.GetValue(deviceTime)!, "--device-time");
            var timer = new PhaseTimer(console);
            var source = parse.GetValue(repo)!;
            var branchName = parse.GetValue(branch)!;
            var access = await RepositoryAccess.OpenAsync(console, source, parse.GetValue(cacheDir), cancellationToken).ConfigureAwait(false);
            var revision = await access.LoadValidAsync(branchName, cancellationToken, timer.Mark).ConfigureAwait(false);
            timer.Mark("parse and validate branch");
            var context = await PrepareAsync(access, branchName, revision, cancellationToken).ConfigureAwait(false);
            timer.Mark("read other stage branches");
            var document = factsPath is not null
                ? await ReadFactsAsync(console, factsPath, context.Projection, cancellationToken).ConfigureAwait(false)
                : await ReadServerFactsAsync(console, connection, parse, context.Projection, cancellationToken).ConfigureAwait(false);
            timer.Mark("read facts");
            var planned = BranchPlanner.Plan(context, document.Devices, console.Environment, timer.Mark, cancellationToken: cancellationToken);
            var (plan, notes) = (planned.Plan, planned.Notes);
            var now = DateTimeOffset.UtcNow;
            var policy = revision.Settings.PolicyFor(branchName);
            var schedule = ScheduleOf(planned, policy, now, perDevice);
            timer.Mark("schedule");
            var (transfer, transferWarnings) = Transfer(plan, document, revision);
            timer.Mark("estimate bytes");

            if (parse.GetValue(json))
            {
                var devices = parse.GetValue(all) ? plan.Devices : plan.Devices.Where(d => d.HasChanges || d.IsInFlight || d.Problems.Count > 0).ToList();
                var commit = plan.Commit is { } c ? new CommitJson(c.Sha, c.Author, c.Subject, c.Timestamp) : null;
                CliJson.Write(console, new PlanJson(source, plan.Branch, commit, plan.Summary, devices, notes, transfer, transferWarnings) { Schedule = ScheduleJsonOf(schedule, now) }, CliJson.Context.PlanJson);
            }
            else
            {
                foreach (var note in notes)
                {
                    console.Out.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
                }

                PlanView.Print(console, plan, parse.GetValue(all), Math.Max(1, parse.GetValue(limit)), () => ScheduleView.Print(console, schedule, policy.Rollout, now));
                TransferView.Print(console, transfer, transferWarnings);
            }

            timer.Mark("write output");

            return plan.Summary.HasChanges ? ExitCodes.ChangesPlanned : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The plan's bytes over the air with the server's catalog (sizes of artifacts and deltas), and the byte budget's warnings.</summary>
    internal static (TransferEstimate Estimate, IReadOnlyList<string> Warnings) Transfer(Plan plan, FactsDocument facts, FleetRevision revision)
    {
        var policy = revision.Settings.PolicyFor(plan.Branch).Rollout;
        var estimate = PlanTransfer.Estimate(plan, facts.Devices, policy, facts.Catalog);
        return (estimate, PlanTransfer.Warnings(estimate, policy.ByteBudget));
    }

    /// <summary>The schedule the branch's policy gives the devices that change (their windows resolved as the target does).</summary>
    private static RolloutSchedule ScheduleOf(PlannedBranch planned, BranchPolicy policy, DateTimeOffset now, TimeSpan perDevice)
    {
        // The devices the target would schedule, with the windows it would give them (BranchTargetBuilder.WindowsFor),
        // without building the whole target: 200,000 devices cost a second that way.
        var changing = planned.Plan.Devices.Where(d => d.HasChanges && d.Problems.Count == 0 && d.DeviceId is not null && d.Os.To is not null).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
        var windows = planned.Members.Members.Where(m => changing.Contains(m.Key)).Select(m => BranchTargetBuilder.WindowsFor(policy.Rollout, m)).ToList();
        return RolloutSchedule.For(policy.Rollout, windows, policy.Paused, now, perDevice);
    }

    private static ScheduleJson ScheduleJsonOf(RolloutSchedule schedule, DateTimeOffset now) => new(
        schedule.Devices,
        schedule.DeviceTime.TotalSeconds,
        schedule.Paused,
        schedule.Waves.Select(w => new WaveScheduleJson(w.Wave + 1, w.Devices, Math.Round((w.Start - now).TotalSeconds), Math.Round((w.End - now).TotalSeconds))).ToList(),
        schedule.Windows.Select(w => new WindowScheduleJson(w.Windows, w.Devices, w.State.Open, w.State.Until is { } at ? Math.Round((at - now).TotalSeconds) : null)).ToList(),
        schedule.Blackouts.Select(b => b.ToString()).ToList());

    /// <summary>Loads the other stage branches a plan of the branch compares with (before the facts are read).</summary>
    internal static async Task<BranchContext> PrepareAsync(RepositoryAccess access, string branch, FleetRevision revision, CancellationToken cancellationToken)
    {
        try
        {
            return await new BranchPlanner(access.Repository).PrepareAsync(branch, revision, cancellationToken).ConfigureAwait(false);
        }
        catch (GitCommandException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    internal static async Task<FactsDocument> ReadServerFactsAsync(CliConsole console, ServerConnection connection, ParseResult parse, FactsProjection projection, CancellationToken cancellationToken)
    {
        using var client = await connection.ConnectAsync(parse, console, cancellationToken).ConfigureAwait(false);
        try
        {
            return await client.GetFactsAsync(projection, cancellationToken).ConfigureAwait(false);
        }
        catch (Gitfleet.Client.ManagementApiException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>Reads a facts file (or stdin) as it streams in, keeping what the plan needs.</summary>
    internal static async Task<FactsDocument> ReadFactsAsync(CliConsole console, string path, FactsProjection projection, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = path == "-"
                ? Console.OpenStandardInput()
                : new FileStream(console.ResolvePath(path), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return await FactsDocument.ReadAsync(stream, projection, cancellationToken).ConfigureAwait(false);
        }
        catch (FactsFormatException e)
        {
            throw new CliException($"{path}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot read facts file {path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"cannot read facts file {path}: {e.Message}", e);
        }
    }
}
