using System.Globalization;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>Prints a plan for people: a table of the devices that change, their configuration diffs, problems, a summary.</summary>
internal static class PlanView
{
    /// <param name="schedule">Prints the rollout's schedule (before the summary).</param>
    public static void Print(CliConsole console, Plan plan, bool all, int limit, Action? schedule = null)
    {
        var output = console.Out;
        var commit = plan.Commit is { } c
            ? $" at [bold]{c.ShortSha}[/] \"{Markup.Escape(c.Subject)}\" by {Markup.Escape(c.Author)}, {c.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC"
            : "";
        output.MarkupLine($"Plan for branch [bold]{Markup.Escape(plan.Branch)}[/]{commit}");
        output.WriteLine();

        var shown = plan.Devices.Where(d => all || d.HasChanges || d.IsInFlight || d.Problems.Count > 0).ToList();
        if (shown.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Device").AddColumn("Type").AddColumn("OS").AddColumn("Configuration");
            foreach (var device in shown.Take(limit))
            {
                table.AddRow(
                    Markup.Escape(DeviceLabel(device)),
                    Markup.Escape(device.DeviceType ?? "?"),
                    OsCell(device),
                    ConfigurationCell(device));
            }

            output.Write(table);
            if (shown.Count > limit)
            {
                output.MarkupLine($"[grey]... and {shown.Count - limit} more devices (use --limit, or --json for all)[/]");
            }

            output.WriteLine();
        }

        var diffs = shown.Take(limit).Where(d => d.Configuration.Kind == ActionKind.Update && d.Configuration.Changes.Count > 0).ToList();
        if (diffs.Count > 0)
        {
            output.MarkupLine("[bold]Configuration changes[/]");
            foreach (var device in diffs)
            {
                output.MarkupLine($"  {Markup.Escape(DeviceLabel(device))} [grey]({Markup.Escape(device.Configuration.Reason ?? "")})[/]");
                foreach (var change in device.Configuration.Changes)
                {
                    output.MarkupLine("    " + ChangeLine(change));
                }
            }

            output.WriteLine();
        }

        var problems = plan.Devices.Where(d => d.Problems.Count > 0).ToList();
        if (problems.Count > 0)
        {
            output.MarkupLine("[bold]Problems[/] [grey](these devices are left alone)[/]");
            foreach (var device in problems.Take(limit))
            {
                foreach (var problem in device.Problems)
                {
                    output.MarkupLine($"  {Markup.Escape(DeviceLabel(device))}: [red]{problem.Code}[/]: {Markup.Escape(problem.Message)}");
                }
            }

            if (problems.Count > limit)
            {
                output.MarkupLine($"  [grey]... and {problems.Count - limit} more[/]");
            }

            output.WriteLine();
        }

        schedule?.Invoke();
        var s = plan.Summary;
        output.MarkupLine(
            $"Summary: {s.Subscribed} subscribed · [bold]{s.OsUpdates}[/] OS updates · [bold]{s.ConfigurationUpdates}[/] configuration updates · " +
            $"{s.Aborts} aborts · {s.InFlight} in flight · {s.Unchanged} unchanged · {(s.Problems > 0 ? $"[red]{s.Problems} problems[/]" : "0 problems")}" +
            (s.Unmanaged > 0 ? $" · {s.Unmanaged} server devices not in this repository" : ""));
        if (!s.HasChanges)
        {
            output.MarkupLine("[green]Nothing to change.[/]");
        }
    }

    public static string DeviceLabel(DevicePlan device) =>
        device.HostName is { } host && host != device.Key ? $"{device.Key} ({host})" : device.Key;

    private static string OsCell(DevicePlan device)
    {
        if (device.Problems.Count > 0)
        {
            return "[red]problem[/]";
        }

        var os = device.Os;
        var aborts = os.Supersedes.Count > 0 ? $" [yellow](aborts {os.Supersedes.Count})[/]" : "";
        return os.Kind switch
        {
            ActionKind.Update => $"{Markup.Escape(os.From ?? "(none)")} [bold]→ {Markup.Escape(os.To ?? "")}[/]{aborts}",
            ActionKind.InFlight => $"[blue]in flight[/] → {Markup.Escape(os.To ?? "")}{aborts}",
            ActionKind.Abort => $"unchanged{aborts}",
            _ => "[grey]unchanged[/]",
        };
    }

    private static string ConfigurationCell(DevicePlan device)
    {
        if (device.Problems.Count > 0)
        {
            return Markup.Escape(device.Problems[0].Code);
        }

        var configuration = device.Configuration;
        var count = configuration.Changes.Count;
        var keys = $"{count} key{(count == 1 ? "" : "s")}";
        var aborts = configuration.Supersedes.Count > 0 ? $" [yellow](aborts {configuration.Supersedes.Count})[/]" : "";
        return configuration.Kind switch
        {
            ActionKind.Update => $"[bold]update[/] ({keys}; {Markup.Escape(configuration.Reason ?? "")}){aborts}",
            ActionKind.InFlight => $"[blue]in flight[/]{aborts}",
            ActionKind.Abort => $"unchanged{aborts}",
            _ => configuration.Desired is null ? "[grey]not managed[/]" : "[grey]unchanged[/]",
        };
    }

    private static string ChangeLine(ConfigKeyChange change) => change.Kind switch
    {
        ChangeKind.Added => $"[green]+ {Markup.Escape(change.Key)}[/]: {Quote(change.New)}",
        ChangeKind.Removed => $"[red]- {Markup.Escape(change.Key)}[/]: {Quote(change.Old)}",
        _ => $"[yellow]~ {Markup.Escape(change.Key)}[/]: {Quote(change.Old)} → {Quote(change.New)}",
    };

    private static string Quote(string? value) =>
        value == RenderedConfiguration.Redacted ? "***" : Markup.Escape($"\"{value}\"");
}
