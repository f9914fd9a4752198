using System.Diagnostics;
using System.Globalization;
using Gitfleet.Client;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Spectre.Console;

namespace Gitfleet.Cli.Demo;

/// <summary>
/// Follows stages through the management API until each has rolled out a commit: live progress bars on a
/// terminal, a line per change otherwise (CI logs, tests).
/// </summary>
internal sealed class StageProgress(CliConsole console, ManagementClient client, TimeSpan timeout)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>Waits until every branch has applied its commit and has nothing pending or in progress; returns the last statuses.</summary>
    public async Task<IReadOnlyList<BranchStatus>> WaitAsync(IReadOnlyList<StageTarget> stages, CancellationToken cancellationToken)
    {
        if (console.Interactive)
        {
            IReadOnlyList<BranchStatus> result = [];
            await console.Out.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var tasks = stages.ToDictionary(s => s.Branch, s => context.AddTask(Markup.Escape(s.Branch), maxValue: 1));
                    result = await PollAsync(stages, statuses =>
                    {
                        foreach (var status in statuses)
                        {
                            var task = tasks[status.Branch];
                            var (done, total) = Done(status);
                            task.MaxValue = Math.Max(1, total);
                            task.Value = done;
                            task.Description = Markup.Escape(Describe(status));
                        }
                    }, cancellationToken).ConfigureAwait(false);
                    foreach (var task in tasks.Values)
                    {
                        task.Value = task.MaxValue;
                        task.StopTask();
                    }
                }).ConfigureAwait(false);
            return result;
        }

        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        return await PollAsync(stages, statuses =>
        {
            foreach (var status in statuses)
            {
                var line = Describe(status);
                if (last.GetValueOrDefault(status.Branch) != line)
                {
                    last[status.Branch] = line;
                    console.Out.MarkupLine($"  [grey]{clock.Elapsed.TotalSeconds,5:0.0}s[/] {Markup.Escape(line)}");
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<BranchStatus>> PollAsync(IReadOnlyList<StageTarget> stages, Action<IReadOnlyList<BranchStatus>> show, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            List<BranchStatus>? statuses = [];
            try
            {
                foreach (var (branch, _, _) in stages)
                {
                    statuses.Add(await client.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false) ?? new BranchStatus { Branch = branch });
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed <= timeout)
            {
                // A connection lost on the way (behind a load balancer, a replica going away or too slow for its
                // health check): ask again at the next poll.
                statuses = null;
            }

            if (statuses is not null)
            {
                show(statuses);
                if (stages.Zip(statuses).All(pair => IsDone(pair.Second, pair.First)))
                {
                    return statuses;
                }
            }

            if (deadline.Elapsed > timeout)
            {
                throw new CliException($"the stages did not finish their rollouts within {timeout.TotalMinutes:0} minutes: {string.Join("; ", (statuses ?? []).Select(Describe))}");
            }

            await Task.Delay(Interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>On the commit with all its devices connected, and each of them converged or failed for good (retries spent); or the rollout paused (an operator must look).</summary>
    private static bool IsDone(BranchStatus status, StageTarget stage) =>
        status.AppliedCommit?.Sha == stage.Commit
        && status.Devices.Total - status.Devices.Problems >= stage.Devices
        && (status.Rollout?.Phase is RolloutPhase.Paused
            || ((status.Rollout?.Phase is RolloutPhase.Completed || status.IsConverged) && status.Devices.Pending + status.Devices.InProgress == 0));

    private static (int Done, int Total) Done(BranchStatus status)
    {
        var d = status.Devices;
        return (d.Converged + d.Failed, d.Total - d.Problems);
    }

    public static string Describe(BranchStatus status)
    {
        var d = status.Devices;
        var commit = status.AppliedCommit?.ShortSha ?? "-";
        var rollout = status.Rollout is { } r ? $", {r.Phase.ToString().ToLowerInvariant()} wave {r.Wave}/{r.Waves}" : "";
        var failed = d.Failed > 0 ? $", {d.Failed} failed" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{status.Branch} @ {commit}: {d.Converged}/{d.Total - d.Problems} converged, {d.InProgress} updating, {d.Pending} waiting{failed}{rollout}");
    }
}

/// <summary>A stage to follow: the commit it must roll out and how many devices it has once all are connected.</summary>
internal sealed record StageTarget(string Branch, string Commit, int Devices);
