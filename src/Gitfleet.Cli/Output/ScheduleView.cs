using System.Globalization;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;
using Spectre.Console;

namespace Gitfleet.Cli.Output;

/// <summary>The schedule section of `gitfleet plan`: waves, windows, limits, blackouts, all relative to now.</summary>
internal static class ScheduleView
{
    public static void Print(CliConsole console, RolloutSchedule schedule, RolloutPolicy policy, DateTimeOffset now)
    {
        if (schedule.Devices == 0)
        {
            return;
        }

        var output = console.Out;
        output.MarkupLine($"[bold]Schedule[/] if applied now [grey](assuming {DurationText.Format(schedule.DeviceTime)} per device; --device-time)[/]");
        if (schedule.Paused)
        {
            output.MarkupLine("  [yellow]paused: true in gitfleet.yml[/]: nothing starts until it is set to false or removed");
        }

        foreach (var wave in schedule.Waves)
        {
            var devices = wave.Devices == 1 ? "1 device" : $"{wave.Devices} devices";
            output.MarkupLine($"  wave {wave.Wave + 1} of {schedule.Waves.Count}: {devices,-12} starts {Offset(wave.Start, now),-10} done ~{Offset(wave.End, now)}");
        }

        output.MarkupLine("  [grey]" + Markup.Escape(Limits(policy)) + "[/]");
        foreach (var windows in schedule.Windows.Where(_ => policy.Windows.Count > 0 || schedule.Blackouts.Count > 0))
        {
            var who = windows.Devices == 1 ? "1 device" : $"{windows.Devices} devices";
            if (windows.Windows.Count == 0)
            {
                output.MarkupLine($"  {who}: any time{(schedule.Blackouts.Count > 0 ? " (blackout days aside)" : "")}");
                continue;
            }

            var state = windows.State.Open
                ? $"open now{(windows.State.Until is { } closes ? $", closes in {Offset(closes, now)[1..]}" : "")}"
                : windows.State.Until is { } opens ? $"closed, opens in {Offset(opens, now)[1..]}" : "[red]closed, and no window opens in the next two years[/]";
            output.MarkupLine($"  {who}: window {Markup.Escape(string.Join(" + ", windows.Windows))} ({state}); downloads start at once, installs inside the window");
        }

        if (schedule.Blackouts.Count > 0)
        {
            output.MarkupLine($"  blackout days: {Markup.Escape(string.Join(", ", schedule.Blackouts.Select(b => b.ToString())))}");
        }

        output.WriteLine();
    }

    /// <summary>maxConcurrent, pacing, soak, completeAt, timeouts and abort rules on one line.</summary>
    public static string Limits(RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var parts = new List<string>
        {
            policy.MaxConcurrent is { } max ? $"maxConcurrent {max}" : "no concurrency limit",
        };
        if (policy.Pacing is { } pacing)
        {
            parts.Add(pacing.Ramp is { } ramp
                ? $"pacing {pacing.PerMinute}/min, x{ramp.Factor.ToString(CultureInfo.InvariantCulture)} every {ramp.Every} successes{(ramp.MaxPerMinute is { } cap ? $" up to {cap}/min" : "")}"
                : $"pacing {pacing.PerMinute}/min");
        }

        parts.Add($"soak {DurationText.Format(policy.Soak)}");
        parts.Add($"completeAt {policy.CompleteAt}");
        if (!policy.Timeouts.IsEmpty)
        {
            var timeouts = new[] { ("downloading", policy.Timeouts.Downloading), ("installing", policy.Timeouts.Installing), ("rebooting", policy.Timeouts.Rebooting) }
                .Where(t => t.Item2 is not null).Select(t => $"{t.Item1} {DurationText.Format(t.Item2!.Value)}");
            parts.Add("timeouts: " + string.Join(", ", timeouts));
        }

        if (policy.Abort.Count > 0)
        {
            parts.Add($"{policy.Abort.Count} abort rule{(policy.Abort.Count == 1 ? "" : "s")} ({string.Join(", ", policy.Abort.Select(a => AbortRule.ActionName(a.Action)))})");
        }

        return string.Join(" · ", parts);
    }

    /// <summary>"+0m", "+1h30m", "+2d3h" (minutes rounded up).</summary>
    public static string Offset(DateTimeOffset at, DateTimeOffset now)
    {
        var minutes = Math.Max(0, (long)Math.Ceiling((at - now).TotalMinutes - 1e-9));
        return "+" + (minutes == 0 ? "0m" : DurationText.Format(TimeSpan.FromMinutes(minutes)));
    }
}
