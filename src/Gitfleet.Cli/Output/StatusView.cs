using Gitfleet.Core.Reconcile;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>Prints stage statuses: one row per branch, then each branch's failing, drifted and offline devices with the reason.</summary>
internal static class StatusView
{
    public static void Print(CliConsole console, IReadOnlyList<BranchStatus> branches, int limit)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Branch").AddColumn("Commit").AddColumn("State").AddColumn("Rollout")
            .AddColumn(new TableColumn("Converged").RightAligned()).AddColumn(new TableColumn("Pending").RightAligned())
            .AddColumn(new TableColumn("In progress").RightAligned()).AddColumn(new TableColumn("Failed").RightAligned())
            .AddColumn(new TableColumn("Offline").RightAligned()).AddColumn(new TableColumn("Modified").RightAligned())
            .AddColumn(new TableColumn("Problems").RightAligned());
        foreach (var status in branches)
        {
            var d = status.Devices;
            table.AddRow(
                Markup.Escape(status.Branch),
                Markup.Escape(Commit(status)),
                State(status),
                Markup.Escape(status.Rollout is { } r ? $"{r.Phase.ToString().ToLowerInvariant()} {r.Wave}/{r.Waves}" : "-"),
                $"{d.Converged}/{d.Total}",
                d.Pending.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.InProgress.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.Failed > 0 ? $"[red]{d.Failed}[/]" : "0",
                d.Offline.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.Modified > 0 ? $"[yellow]{d.Modified}[/]" : "0",
                d.Problems.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.Out.Write(table);
        foreach (var status in branches)
        {
            if (status.Rollout is { Message.Length: > 0 } rollout)
            {
                console.Out.MarkupLine($"[bold]{Markup.Escape(status.Branch)}[/]: {Markup.Escape(rollout.Message)}");
                foreach (var line in PolicyLines(rollout))
                {
                    console.Out.MarkupLine("  " + Markup.Escape(line));
                }
            }

            if (status.Rollout?.Transfer is { } transfer)
            {
                TransferView.Print(console, transfer, []);
            }

            foreach (var condition in status.Conditions.Where(c => !c.Status && c.Type == StatusCondition.Ready && c.Reason == "Reverted"))
            {
                console.Out.MarkupLine($"  [yellow]Reverted[/]: {Markup.Escape(condition.Message)}");
            }

            foreach (var condition in status.Conditions.Where(c => c.Status && c.Type != StatusCondition.Ready))
            {
                console.Out.MarkupLine($"  {condition.Type}: {Markup.Escape(condition.Message)}");
            }

            foreach (var error in status.Errors.Take(limit))
            {
                console.Out.MarkupLine($"  [red]{Markup.Escape(error)}[/]");
            }

            foreach (var issue in status.Issues.Take(limit))
            {
                var colour = issue.State is "failed" ? "red" : issue.State is "modified" ? "yellow" : "grey";
                console.Out.MarkupLine($"  [{colour}]{Markup.Escape(issue.State)}[/] {Markup.Escape(issue.Device)}: {Markup.Escape(issue.Reason)}");
            }

            if (status.Issues.Count > limit)
            {
                console.Out.MarkupLine($"  [grey]... and {status.Issues.Count - limit} more (--json has them all)[/]");
            }
        }
    }

    /// <summary>What the rollout rules do right now: estimates, stragglers, held devices, why the others wait.</summary>
    internal static IEnumerable<string> PolicyLines(RolloutSummary rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var estimates = new List<string>();
        if (rollout.NextWaveAt is { } next)
        {
            estimates.Add($"next wave ~{next:u}");
        }

        if (rollout.BulkCompletedAt is { } bulk)
        {
            estimates.Add($"bulk done at {bulk:u}");
        }
        else if (rollout.EstimatedEnd is { } end)
        {
            estimates.Add($"estimated end ~{end:u}");
        }

        if (rollout.Stragglers > 0)
        {
            estimates.Add($"{rollout.Stragglers} stragglers followed");
        }

        if (rollout.Held > 0)
        {
            estimates.Add($"{rollout.Held} downloaded and held before installing");
        }

        if (estimates.Count > 0)
        {
            yield return string.Join("; ", estimates);
        }

        foreach (var waiting in rollout.Waiting.Take(5))
        {
            yield return $"waiting: {waiting.Devices} device{(waiting.Devices == 1 ? "" : "s")}: {waiting.Message}";
        }
    }

    private static string Commit(BranchStatus status)
    {
        var applied = status.AppliedCommit is { } c ? c.ShortSha : "-";
        return status.LastSeenCommit is { } seen && status.AppliedCommit is not null && !seen.StartsWith(status.AppliedCommit.Sha, StringComparison.Ordinal)
            ? $"{applied} (seen {seen[..Math.Min(12, seen.Length)]})"
            : applied;
    }

    private static string State(BranchStatus status)
    {
        if (status.Conditions.Any(c => c.Type == StatusCondition.Stalled && c.Status))
        {
            return "[red]Stalled[/]";
        }

        if (status.Conditions.Any(c => c.Type == StatusCondition.Ready && c.Status))
        {
            return "[green]Ready[/]";
        }

        return status.Conditions.Any(c => c.Type == StatusCondition.Reconciling && c.Status) ? "[blue]Reconciling[/]" : "[grey]Not ready[/]";
    }
}
