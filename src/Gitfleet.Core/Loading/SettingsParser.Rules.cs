using System.Globalization;
using Cronos;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// The rollout rules of gitfleet.yml for real fleets: <c>completeAt</c>, maintenance <c>windows</c> and
/// <c>blackouts</c>, <c>pacing</c>, per-phase <c>timeouts</c>, <c>abort</c> criteria, and the top-level
/// <c>images</c> (force). Every problem is reported at its file:line:col.
/// </summary>
internal sealed partial class SettingsParser
{
    private static readonly string[] WindowKeys = ["name", "selector", "cron", "duration", "days", "hours", "timezone"];
    private static readonly string[] PacingKeys = ["perMinute", "ramp"];
    private static readonly string[] RampKeys = ["factor", "every", "maxPerMinute"];
    private static readonly string[] TimeoutKeys = ["downloading", "installing", "rebooting"];
    private static readonly string[] AbortKeys = ["on", "threshold", "minFinished", "action"];

    private static readonly Dictionary<string, DayOfWeek> DayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    private RolloutPolicy ParseRules(YamlMap rollout, string what, RolloutPolicy result)
    {
        if (rollout.TryGetValue("completeAt", out var completeAt) && completeAt is not null
            && ParseQuantity(completeAt, rollout.ValueLocation("completeAt"), "completeAt") is { } share)
        {
            if (!share.IsPercent || share.Value <= 0)
            {
                reader.Error(DiagnosticCodes.InvalidValue, rollout.ValueLocation("completeAt"), $"completeAt must be a percentage above 0% (99%), not {share}");
            }
            else
            {
                result = result with { CompleteAt = share };
            }
        }

        var zone = "UTC";
        if (reader.String(rollout, "timezone", what) is { } zoneText && CheckTimeZone(zoneText, rollout.ValueLocation("timezone")))
        {
            zone = zoneText;
            result = result with { TimeZone = zoneText };
        }

        if (reader.List(rollout, "windows", what) is { } windowList)
        {
            var windows = new List<MaintenanceWindow>();
            EachMapping(windowList, "a window must be a mapping with cron and duration, or days and hours", (window, i) =>
            {
                if (ParseWindow(window, i, zone, windows) is { } parsed)
                {
                    windows.Add(parsed);
                }
            });
            result = result with { Windows = windows };
        }

        if (reader.List(rollout, "blackouts", what) is { } blackoutList)
        {
            var blackouts = new List<BlackoutPeriod>();
            for (var i = 0; i < blackoutList.Count; i++)
            {
                if (ParseBlackout(blackoutList[i], blackoutList.ItemLocation(i)) is { } period)
                {
                    blackouts.Add(period);
                }
            }

            result = result with { Blackouts = blackouts };
        }

        if (reader.Map(rollout, "pacing", what) is { } pacing && ParsePacing(pacing, $"the pacing of {what}") is { } parsedPacing)
        {
            result = result with { Pacing = parsedPacing };
        }

        if (reader.Map(rollout, "timeouts", what) is { } timeouts)
        {
            var timeoutsWhat = $"the timeouts of {what}";
            reader.CheckKeys(timeouts, timeoutsWhat, TimeoutKeys);
            result = result with
            {
                Timeouts = new PhaseTimeouts
                {
                    Downloading = PositiveDuration(timeouts, "downloading", timeoutsWhat),
                    Installing = PositiveDuration(timeouts, "installing", timeoutsWhat),
                    Rebooting = PositiveDuration(timeouts, "rebooting", timeoutsWhat),
                },
            };
        }

        if (reader.List(rollout, "abort", what) is { } abortList)
        {
            var rules = new List<AbortRule>();
            EachMapping(abortList, "an abort rule must be a mapping with on, threshold, minFinished and action", (rule, i) =>
            {
                if (ParseAbortRule(rule, abortList.ItemLocation(i)) is { } parsed)
                {
                    rules.Add(parsed);
                }
            });
            result = result with { Abort = rules };
        }

        return result;
    }

    /// <summary><c>images.NAME.force</c>.</summary>
    private Dictionary<string, ImagePolicy> ParseImages(YamlMap root)
    {
        var images = new Dictionary<string, ImagePolicy>(StringComparer.Ordinal);
        if (reader.Map(root, "images", "gitfleet.yml") is not { } imageMap)
        {
            return images;
        }

        foreach (var (name, value) in imageMap)
        {
            if (value is not YamlMap image)
            {
                reader.Error(DiagnosticCodes.WrongType, imageMap.ValueLocation(name), $"image '{name}' must be a mapping with force, not {YamlReader.Describe(value)}");
                continue;
            }

            reader.CheckKeys(image, $"image '{name}'", "force");
            images[name] = new ImagePolicy(reader.Bool(image, "force", $"image '{name}'") ?? false, imageMap.KeyLocation(name));
        }

        return images;
    }

    /// <summary>Calls <paramref name="parse"/> for each mapping of a list; other items are reported with <paramref name="expected"/>.</summary>
    private void EachMapping(YamlList list, string expected, Action<YamlMap, int> parse)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is YamlMap item)
            {
                parse(item, i);
            }
            else
            {
                reader.Error(DiagnosticCodes.WrongType, list.ItemLocation(i), $"{expected}, not {YamlReader.Describe(list[i])}");
            }
        }
    }

    private MaintenanceWindow? ParseWindow(YamlMap window, int index, string defaultZone, List<MaintenanceWindow> earlier)
    {
        var name = reader.String(window, "name", $"window {index + 1}", coerce: true) ?? $"window {index + 1}";
        var what = $"window '{name}'";
        reader.CheckKeys(window, what, WindowKeys);
        if (earlier.Any(w => w.Name == name))
        {
            reader.Error(DiagnosticCodes.Contradiction, window.ValueLocation("name"), $"two windows are named '{name}'");
        }

        var ok = true;
        var zone = defaultZone;
        if (reader.String(window, "timezone", what) is { } zoneText)
        {
            ok &= CheckTimeZone(zoneText, window.ValueLocation("timezone"));
            zone = zoneText;
        }

        var selector = window.ContainsKey("selector") ? SelectorParser.Parse(reader, window, what, allowGroups: true) : null;
        ok &= !window.ContainsKey("selector") || selector is not null;
        WindowSchedule? schedule = null;
        var hasCron = window.ContainsKey("cron");
        var hasWeekly = window.ContainsKey("days") || window.ContainsKey("hours");
        if (hasCron == hasWeekly)
        {
            reader.Error(DiagnosticCodes.WrongType, window.Location, $"{what} needs either 'cron' with 'duration', or 'hours' (with optional 'days'), not {(hasCron ? "both" : "neither")}");
            return null;
        }

        if (hasCron)
        {
            var expression = reader.String(window, "cron", what, required: true);
            var duration = PositiveDuration(window, "duration", what);
            if (duration is null && !window.ContainsKey("duration"))
            {
                reader.Error(DiagnosticCodes.WrongType, window.Location, $"{what} needs a 'duration' (how long it stays open after each cron time, for example 4h)");
            }

            if (expression is not null && CheckCron(expression, window.ValueLocation("cron")) && duration is { } length)
            {
                schedule = new CronWindowSchedule(expression, length);
            }
        }
        else
        {
            if (window.ContainsKey("duration"))
            {
                reader.Error(DiagnosticCodes.InvalidValue, window.ValueLocation("duration"), $"{what} gives its length with 'hours' (01:00-05:00); 'duration' goes with 'cron'");
                ok = false;
            }

            var days = ParseDays(window, what);
            var hours = reader.String(window, "hours", what, required: true);
            if (hours is not null && ParseHours(hours, window.ValueLocation("hours"), what) is { } span && days is not null)
            {
                schedule = new WeeklyWindowSchedule(days, span.From, span.To);
            }
        }

        return ok && schedule is not null
            ? new MaintenanceWindow { Name = name, Schedule = schedule, TimeZone = zone, Selector = selector, Location = window.Location }
            : null;
    }

    private HashSet<DayOfWeek>? ParseDays(YamlMap window, string what)
    {
        if (!window.TryGetValue("days", out var value) || value is null)
        {
            return [.. Enum.GetValues<DayOfWeek>()];
        }

        var items = value switch
        {
            YamlList list => list.Select((item, i) => (item, list.ItemLocation(i))).ToList(),
            _ => [(value, window.ValueLocation("days"))],
        };
        var days = new HashSet<DayOfWeek>();
        var ok = true;
        foreach (var (item, location) in items)
        {
            var text = item as string;
            var range = text?.Split('-', 2, StringSplitOptions.TrimEntries);
            if (range is not null && DayNames.TryGetValue(range[0], out var first) && (range.Length == 1 || DayNames.ContainsKey(range[1])))
            {
                var last = range.Length == 1 ? first : DayNames[range[1]];
                for (var day = first; ; day = (DayOfWeek)(((int)day + 1) % 7))
                {
                    days.Add(day);
                    if (day == last)
                    {
                        break;
                    }
                }

                continue;
            }

            reader.Error(DiagnosticCodes.InvalidValue, location, $"'days' in {what} lists days as mon, tue, wed, thu, fri, sat, sun or ranges such as mon-fri, not {YamlReader.Describe(item)}");
            ok = false;
        }

        return ok ? days : null;
    }

    private (TimeOnly From, TimeOnly To)? ParseHours(string text, SourceLocation location, string what)
    {
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && ParseClock(parts[0]) is { } from && ParseClock(parts[1]) is { } to)
        {
            // 24:00 reads as midnight: 00:00-24:00 is a whole day; any other equal pair opens and closes at once.
            if (from == to && parts[1] != "24:00")
            {
                reader.Error(DiagnosticCodes.InvalidValue, location, $"'hours' in {what} opens and closes at the same time ({text}); for a whole day write 00:00-24:00");
                return null;
            }

            return (from, to);
        }

        reader.Error(DiagnosticCodes.InvalidValue, location, $"'hours' in {what} must be a wall-clock span such as 01:00-05:00 or 22:00-04:00 (past midnight), not \"{text}\"");
        return null;
    }

    private static TimeOnly? ParseClock(string text)
    {
        if (text == "24:00")
        {
            return TimeOnly.MinValue;
        }

        return TimeOnly.TryParseExact(text, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
    }

    private BlackoutPeriod? ParseBlackout(object? value, SourceLocation location)
    {
        if (value is string text)
        {
            var parts = text.Split("..", 2, StringSplitOptions.TrimEntries);
            if (ParseDate(parts[0]) is { } from && (parts.Length == 1 || ParseDate(parts[1]) is not null))
            {
                var to = parts.Length == 1 ? from : ParseDate(parts[1])!.Value;
                if (to < from)
                {
                    reader.Error(DiagnosticCodes.InvalidValue, location, $"the blackout {text} ends before it starts");
                    return null;
                }

                return new BlackoutPeriod(from, to);
            }
        }

        reader.Error(DiagnosticCodes.InvalidValue, location, $"a blackout is a date (2026-12-24) or an inclusive range (2026-12-24..2026-12-26), not {YamlReader.Describe(value)}");
        return null;
    }

    private static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    private PacingPolicy? ParsePacing(YamlMap pacing, string what)
    {
        reader.CheckKeys(pacing, what, PacingKeys);
        var perMinute = reader.Integer(pacing, "perMinute", what, 1, MaxDeviceCount);
        if (perMinute is null)
        {
            if (!pacing.ContainsKey("perMinute"))
            {
                reader.Error(DiagnosticCodes.WrongType, pacing.Location, $"{what} needs 'perMinute': how many devices may start per minute");
            }

            return null;
        }

        var policy = new PacingPolicy(perMinute.Value);
        if (reader.Map(pacing, "ramp", what) is not { } ramp)
        {
            return policy;
        }

        var rampWhat = $"the ramp of {what}";
        reader.CheckKeys(ramp, rampWhat, RampKeys);
        var factor = ramp.GetValueOrDefault("factor") switch
        {
            long whole => (double)whole,
            double fraction => fraction,
            _ => double.NaN,
        };
        if (!(factor > 1 && factor <= 100))
        {
            reader.Error(DiagnosticCodes.InvalidValue, ramp.ContainsKey("factor") ? ramp.ValueLocation("factor") : ramp.Location,
                $"'factor' in {rampWhat} must be a number above 1 and at most 100 (the rate is multiplied by it), not {(ramp.ContainsKey("factor") ? YamlReader.Describe(ramp["factor"]) : "missing")}");
            return null;
        }

        var every = reader.Integer(ramp, "every", rampWhat, 1, MaxDeviceCount);
        if (every is null)
        {
            if (!ramp.ContainsKey("every"))
            {
                reader.Error(DiagnosticCodes.WrongType, ramp.Location, $"{rampWhat} needs 'every': after how many successes the rate grows");
            }

            return null;
        }

        var max = reader.Integer(ramp, "maxPerMinute", rampWhat, perMinute.Value, MaxDeviceCount);
        return policy with { Ramp = new PacingRamp(factor, every.Value) { MaxPerMinute = max } };
    }

    private AbortRule? ParseAbortRule(YamlMap rule, SourceLocation location)
    {
        const string what = "an abort rule";
        reader.CheckKeys(rule, what, AbortKeys);
        FailureKind? kind = null;
        var ok = true;
        if (reader.String(rule, "on", what) is { } on)
        {
            if (!AbortRule.TryParseKind(on, out kind))
            {
                reader.Error(DiagnosticCodes.InvalidValue, rule.ValueLocation("on"), $"'on' in {what} must be one of {string.Join(", ", AbortRule.KindNames)}, not \"{on}\"{DidYouMean.Hint(on, AbortRule.KindNames)}");
                ok = false;
            }
        }

        Quantity? threshold = null;
        if (!rule.TryGetValue("threshold", out var thresholdValue) || thresholdValue is null)
        {
            reader.Error(DiagnosticCodes.WrongType, location, $"{what} needs a 'threshold' (a count such as 5, or a share of the wave's finished devices such as 10%)");
            ok = false;
        }
        else
        {
            threshold = ParseQuantity(thresholdValue, rule.ValueLocation("threshold"), "threshold");
            if (threshold is { Value: <= 0 })
            {
                reader.Error(DiagnosticCodes.InvalidValue, rule.ValueLocation("threshold"), $"the threshold of {what} must be above 0 (it would trip before anything failed)");
                ok = false;
            }
        }

        var minFinished = reader.Integer(rule, "minFinished", what, 1, MaxDeviceCount);
        ok &= minFinished is not null || !rule.ContainsKey("minFinished");
        var action = AbortAction.Pause;
        if (reader.String(rule, "action", what, required: true) is { } actionName)
        {
            if (!AbortRule.TryParseAction(actionName, out action))
            {
                reader.Error(DiagnosticCodes.InvalidValue, rule.ValueLocation("action"), $"'action' in {what} must be one of {string.Join(", ", AbortRule.ActionNames)}, not \"{actionName}\"{DidYouMean.Hint(actionName, AbortRule.ActionNames)}");
                ok = false;
            }
        }
        else
        {
            ok = false;
        }

        return ok && threshold is { } limit ? new AbortRule(kind, limit, minFinished ?? 1, action) { Location = location } : null;
    }

    private TimeSpan? PositiveDuration(YamlMap map, string key, string what)
    {
        if (ParseDuration(map, key, what) is not { } duration)
        {
            return null;
        }

        if (duration > TimeSpan.Zero)
        {
            return duration;
        }

        reader.Error(DiagnosticCodes.InvalidValue, map.ValueLocation(key), $"'{key}' in {what} must be longer than 0");
        return null;
    }

    private bool CheckTimeZone(string id, SourceLocation location)
    {
        if (TimeZones.TryFind(id, out _))
        {
            return true;
        }

        reader.Error(DiagnosticCodes.InvalidValue, location, $"unknown time zone \"{id}\"; use an IANA name such as Europe/Zurich, America/New_York or UTC{DidYouMean.Hint(id, TimeZones.Ids)}");
        return false;
    }

    private bool CheckCron(string expression, SourceLocation location)
    {
        try
        {
            CronExpression.Parse(expression, CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            reader.Error(DiagnosticCodes.InvalidValue, location, $"'{expression}' is not a five-field cron expression (minute hour day-of-month month day-of-week, for example \"0 22 * * mon-fri\"): {e.Message}");
            return false;
        }
    }
}
