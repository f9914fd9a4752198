using System.Globalization;
using Cronos;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Reconcile;

/// <summary>
/// The rollout rules for real fleets in a target document (JSON-friendly: durations in seconds, quantities as
/// "10%" or "5", dates as yyyy-MM-dd). Windows travel without their selectors: which windows apply to a device is
/// resolved when planning and sent per device (<see cref="TargetDevice.Windows"/>).
/// </summary>
public sealed record RolloutRulesDocument
{
    // Source-generated JSON sets a missing init-only property to null: the defaults are applied here.
    public string CompleteAt { get; init => field = value ?? "100%"; } = "100%";

    public string TimeZone { get; init => field = value ?? "UTC"; } = "UTC";

    public IReadOnlyList<WindowDocument> Windows { get; init => field = value ?? []; } = [];

    /// <summary>Dates (2026-12-24) or inclusive ranges (2026-12-24..2026-12-26).</summary>
    public IReadOnlyList<string> Blackouts { get; init => field = value ?? []; } = [];

    public PacingDocument? Pacing { get; init; }

    public double? DownloadingTimeoutSeconds { get; init; }

    public double? InstallingTimeoutSeconds { get; init; }

    public double? RebootingTimeoutSeconds { get; init; }

    public IReadOnlyList<AbortRuleDocument> Abort { get; init => field = value ?? []; } = [];

    /// <summary>The rules of a policy, or null when it uses none of them (older targets look the same).</summary>
    public static RolloutRulesDocument? From(RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.CompleteAt == Quantity.Percent(100) && policy.Windows.Count == 0 && policy.Blackouts.Count == 0 && policy.Pacing is null
            && policy.Timeouts.IsEmpty && policy.Abort.Count == 0)
        {
            return null;
        }

        return new RolloutRulesDocument
        {
            CompleteAt = policy.CompleteAt.ToString(),
            TimeZone = policy.TimeZone,
            Windows = policy.Windows.Select(WindowDocument.Of).ToList(),
            Blackouts = policy.Blackouts.Select(b => b.ToString()).ToList(),
            Pacing = policy.Pacing is { } pacing ? new PacingDocument(pacing.PerMinute, pacing.Ramp?.Factor, pacing.Ramp?.Every, pacing.Ramp?.MaxPerMinute) : null,
            DownloadingTimeoutSeconds = policy.Timeouts.Downloading?.TotalSeconds,
            InstallingTimeoutSeconds = policy.Timeouts.Installing?.TotalSeconds,
            RebootingTimeoutSeconds = policy.Timeouts.Rebooting?.TotalSeconds,
            Abort = policy.Abort.Select(r => new AbortRuleDocument(r.On is { } kind ? AbortRule.KindName(kind) : "any", r.Threshold.ToString(), r.MinFinished, AbortRule.ActionName(r.Action))).ToList(),
        };
    }

    /// <summary>Applies the rules to <paramref name="policy"/>; throws <see cref="FormatException"/> on anything malformed.</summary>
    public RolloutPolicy ApplyTo(RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var completeAt = RolloutPolicyDocument.ParseQuantity(CompleteAt);
        if (!completeAt.IsPercent || completeAt.Value <= 0)
        {
            throw new FormatException($"complete_at must be a percentage above 0%, not '{CompleteAt}'");
        }

        RequireZone(TimeZone);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var window in Windows)
        {
            if (!names.Add(window.Name ?? ""))
            {
                throw new FormatException($"two windows are named '{window.Name}'");
            }
        }

        return policy with
        {
            CompleteAt = completeAt,
            TimeZone = TimeZone,
            Windows = Windows.Select(w => w.ToWindow()).ToList(),
            Blackouts = Blackouts.Select(ParseBlackout).ToList(),
            Pacing = Pacing?.ToPolicy(),
            Timeouts = new PhaseTimeouts
            {
                Downloading = Seconds(DownloadingTimeoutSeconds, "downloading_timeout_seconds"),
                Installing = Seconds(InstallingTimeoutSeconds, "installing_timeout_seconds"),
                Rebooting = Seconds(RebootingTimeoutSeconds, "rebooting_timeout_seconds"),
            },
            Abort = Abort.Select(a => a.ToRule()).ToList(),
        };
    }

    internal static void RequireZone(string? zone)
    {
        if (zone is null || !TimeZones.TryFind(zone, out _))
        {
            throw new FormatException($"unknown time zone '{zone}'");
        }
    }

    internal static TimeSpan? Seconds(double? seconds, string what) => seconds switch
    {
        null => null,
        > 0 and <= 366 * 86400 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new FormatException($"{what} must be above 0 and at most a year"),
    };

    private static BlackoutPeriod ParseBlackout(string text)
    {
        var parts = (text ?? "").Split("..", 2);
        if (DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from))
        {
            var to = from;
            if (parts.Length == 1 || DateOnly.TryParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out to))
            {
                return to >= from ? new BlackoutPeriod(from, to) : throw new FormatException($"the blackout '{text}' ends before it starts");
            }
        }

        throw new FormatException($"'{text}' is not a blackout date (yyyy-MM-dd) or range (yyyy-MM-dd..yyyy-MM-dd)");
    }
}

/// <summary>A maintenance window: a cron expression with a duration, or days with wall-clock hours.</summary>
public sealed record WindowDocument(string Name, string TimeZone, string? Cron, double? DurationSeconds, IReadOnlyList<string>? Days, string? From, string? To)
{
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public static WindowDocument Of(MaintenanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return window.Schedule switch
        {
            CronWindowSchedule cron => new WindowDocument(window.Name, window.TimeZone, cron.Expression, cron.Duration.TotalSeconds, null, null, null),
            WeeklyWindowSchedule weekly => new WindowDocument(window.Name, window.TimeZone, null, null,
                weekly.Days.Order().Select(d => DayNames[(int)d]).ToList(), Clock(weekly.From), Clock(weekly.To)),
            _ => throw new ArgumentException("unknown window schedule", nameof(window)),
        };
    }

    public MaintenanceWindow ToWindow()
    {
        if (string.IsNullOrEmpty(Name))
        {
            throw new FormatException("a window needs a name");
        }

        RolloutRulesDocument.RequireZone(TimeZone);
        WindowSchedule schedule;
        if (Cron is not null)
        {
            try
            {
                CronExpression.Parse(Cron, CronFormat.Standard);
            }
            catch (CronFormatException e)
            {
                throw new FormatException($"window '{Name}': '{Cron}' is not a cron expression: {e.Message}", e);
            }

            schedule = new CronWindowSchedule(Cron, RolloutRulesDocument.Seconds(DurationSeconds, $"window '{Name}': duration_seconds")
                ?? throw new FormatException($"window '{Name}' needs duration_seconds"));
        }
        else
        {
            var days = new HashSet<DayOfWeek>();
            foreach (var day in Days ?? DayNames)
            {
                var index = Array.IndexOf(DayNames, day);
                days.Add(index >= 0 ? (DayOfWeek)index : throw new FormatException($"window '{Name}': '{day}' is not a day (sun, mon, ... sat)"));
            }

            var from = ParseClock(From);
            var to = ParseClock(To);
            if (from == to && To != "24:00")
            {
                throw new FormatException($"window '{Name}' opens and closes at the same time");
            }

            schedule = new WeeklyWindowSchedule(days, from, to);
        }

        return new MaintenanceWindow { Name = Name, TimeZone = TimeZone, Schedule = schedule };

        TimeOnly ParseClock(string? text) => text == "24:00" ? TimeOnly.MinValue
            : TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time
            : throw new FormatException($"window '{Name}' needs from and to as HH:mm, not '{text}'");
    }

    private static string Clock(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}

public sealed record PacingDocument(int PerMinute, double? RampFactor, int? RampEvery, int? MaxPerMinute)
{
    public PacingPolicy ToPolicy()
    {
        if (PerMinute < 1)
        {
            throw new FormatException("pacing.per_minute must be at least 1");
        }

        if (RampFactor is null != RampEvery is null)
        {
            throw new FormatException("pacing needs ramp_factor and ramp_every together");
        }

        if (RampFactor is { } factor && (!(factor > 1 && factor <= 100) || RampEvery < 1 || MaxPerMinute < PerMinute))
        {
            throw new FormatException("pacing: ramp_factor must be above 1 and at most 100, ramp_every at least 1, max_per_minute at least per_minute");
        }

        return new PacingPolicy(PerMinute) { Ramp = RampFactor is { } f ? new PacingRamp(f, RampEvery!.Value) { MaxPerMinute = MaxPerMinute } : null };
    }
}

public sealed record AbortRuleDocument(string On, string Threshold, int MinFinished, string Action)
{
    public AbortRule ToRule()
    {
        if (!AbortRule.TryParseKind(On, out var kind))
        {
            throw new FormatException($"abort: 'on' must be failed, timedOut, rejected or any, not '{On}'");
        }

        if (!AbortRule.TryParseAction(Action, out var action))
        {
            throw new FormatException($"abort: 'action' must be pause, abort or revert, not '{Action}'");
        }

        var threshold = RolloutPolicyDocument.ParseQuantity(Threshold);
        if (threshold.Value <= 0 || MinFinished < 1)
        {
            throw new FormatException("abort: the threshold must be above 0 and min_finished at least 1");
        }

        return new AbortRule(kind, threshold, MinFinished, action);
    }
}
