using Cronos;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>Whether installs may start now, and until when that holds.</summary>
/// <param name="Open">Inside a window (and not on a blackout day).</param>
/// <param name="Until">Open: when the window closes. Closed: when the next one opens. Null: never (within two years).</param>
/// <param name="Window">The window that is open, or opens next.</param>
public readonly record struct WindowState(bool Open, DateTimeOffset? Until, string? Window)
{
    public static readonly WindowState AlwaysOpen = new(true, null, null);
}

/// <summary>
/// The maintenance windows that apply to one device, with the blackout days, as a pure function of time:
/// <see cref="StateAt"/> says whether an install may start at an instant and when that changes. Cron windows open
/// at each occurrence (Cronos: a time skipped by a DST change fires when the clock jumps; a repeated one fires
/// once) and stay open for their duration of elapsed time. Days-and-hours windows follow the wall clock: a local
/// time skipped by DST means the moment the clock jumps, a repeated one its first instance. Blackout days are
/// calendar days in each window's time zone. Overlapping windows merge.
/// </summary>
public sealed class MaintenanceCalendar
{
    /// <summary>How far ahead the next opening is searched.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(731);

    private readonly IReadOnlyList<CompiledWindow> windows;

    private MaintenanceCalendar(IReadOnlyList<CompiledWindow> windows)
    {
        this.windows = windows;
    }

    /// <summary>True when no window and no blackout restricts anything.</summary>
    public bool Unrestricted { get; private init; }

    /// <param name="windows">The windows that apply to the device; none means installs may start at any time.</param>
    /// <param name="blackouts">Days on which nothing starts.</param>
    /// <param name="defaultZone">The time zone of blackout days when there is no window.</param>
    public static MaintenanceCalendar For(IReadOnlyList<MaintenanceWindow> windows, IReadOnlyList<BlackoutPeriod> blackouts, string defaultZone = "UTC")
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(blackouts);
        if (windows.Count == 0)
        {
            return new MaintenanceCalendar([new CompiledWindow(null, null, TimeZones.Find(defaultZone), blackouts)]) { Unrestricted = blackouts.Count == 0 };
        }

        return new MaintenanceCalendar(windows.Select(w => new CompiledWindow(
            w.Name,
            w.Schedule is CronWindowSchedule cron ? CronExpression.Parse(cron.Expression, CronFormat.Standard) : null,
            TimeZones.Find(w.TimeZone),
            blackouts) { Schedule = w.Schedule }).ToList());
    }

    public WindowState StateAt(DateTimeOffset now)
    {
        if (Unrestricted)
        {
            return WindowState.AlwaysOpen;
        }

        // Open: the end of the stretch of open time that holds now, following overlapping windows.
        string? openWindow = null;
        DateTimeOffset? end = null;
        foreach (var window in windows)
        {
            if (window.OpenIntervalAt(now) is { } interval && (end is null || interval.End > end))
            {
                (openWindow, end) = (window.Name, interval.End);
            }
        }

        if (end is { } until)
        {
            for (var extended = true; extended && until < now + Horizon;)
            {
                extended = false;
                foreach (var window in windows)
                {
                    if (window.OpenIntervalAt(until) is { } next && next.End > until)
                    {
                        until = next.End;
                        extended = true;
                    }
                }
            }

            return new WindowState(true, until >= DateTimeOffset.MaxValue.AddYears(-1) ? null : until, openWindow);
        }

        DateTimeOffset? opens = null;
        string? nextWindow = null;
        foreach (var window in windows)
        {
            if (window.NextOpening(now) is { } at && (opens is null || at < opens))
            {
                (opens, nextWindow) = (at, window.Name);
            }
        }

        return new WindowState(false, opens, nextWindow);
    }

    /// <summary>One window compiled for evaluation (or, with no schedule, "always", cut only by blackouts).</summary>
    private sealed class CompiledWindow(string? name, CronExpression? cron, TimeZoneInfo zone, IReadOnlyList<BlackoutPeriod> blackouts)
    {
        public string? Name { get; } = name;

        public WindowSchedule? Schedule { get; init; }

        /// <summary>The blackout-free open interval containing <paramref name="at"/>, if any.</summary>
        public (DateTimeOffset Start, DateTimeOffset End)? OpenIntervalAt(DateTimeOffset at)
        {
            if (IsBlackedOut(at))
            {
                return null;
            }

            foreach (var (start, end) in Intervals(at))
            {
                if (start > at)
                {
                    break;
                }

                if (at < end)
                {
                    return (start, Min(end, NextBlackoutStart(at)));
                }
            }

            return null;
        }

        /// <summary>The first instant after <paramref name="after"/> inside the window and outside every blackout day.</summary>
        public DateTimeOffset? NextOpening(DateTimeOffset after)
        {
            var limit = after + Horizon;
            foreach (var (start, end) in Intervals(after))
            {
                if (start > limit)
                {
                    return null;
                }

                var candidate = Max(start, after);
                while (candidate < end && IsBlackedOut(candidate))
                {
                    candidate = StartOfLocalDay(LocalDay(candidate).AddDays(1));
                }

                if (candidate < end)
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>Open intervals (before blackouts) that end after <paramref name="from"/>, by start time.</summary>
        private IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Intervals(DateTimeOffset from)
        {
            switch (Schedule)
            {
                case CronWindowSchedule schedule when cron is not null:
                    foreach (var start in cron.GetOccurrences(from - schedule.Duration, from + Horizon, zone, fromInclusive: false, toInclusive: true))
                    {
                        yield return (start, start + schedule.Duration);
                    }

                    break;
                case WeeklyWindowSchedule weekly:
                    var first = LocalDay(from).AddDays(-1);
                    for (var day = first; day <= first.AddDays(Horizon.Days); day = day.AddDays(1))
                    {
                        if (!weekly.Days.Contains(day.DayOfWeek))
                        {
                            continue;
                        }

                        var start = ToInstant(day.ToDateTime(weekly.From));
                        var end = ToInstant((weekly.To <= weekly.From ? day.AddDays(1) : day).ToDateTime(weekly.To));
                        if (end > from)
                        {
                            yield return (start, end);
                        }
                    }

                    break;
                default:
                    yield return (DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
                    break;
            }
        }

        private bool IsBlackedOut(DateTimeOffset at)
        {
            if (blackouts.Count == 0)
            {
                return false;
            }

            var day = LocalDay(at);
            foreach (var blackout in blackouts)
            {
                if (blackout.Contains(day))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The start of the first blackout day after <paramref name="at"/> (which is not blacked out), or the end of time.</summary>
        private DateTimeOffset NextBlackoutStart(DateTimeOffset at)
        {
            var today = LocalDay(at);
            DateOnly? first = null;
            foreach (var blackout in blackouts)
            {
                if (blackout.From > today && (first is null || blackout.From < first))
                {
                    first = blackout.From;
                }
            }

            return first is { } day ? StartOfLocalDay(day) : DateTimeOffset.MaxValue;
        }

        private DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

        private DateTimeOffset StartOfLocalDay(DateOnly day) => ToInstant(day.ToDateTime(TimeOnly.MinValue));

        /// <summary>
        /// A wall-clock time in the zone as an instant: a time skipped by a DST change means the moment the clock
        /// jumps; a time that occurs twice means its first instance.
        /// </summary>
        private DateTimeOffset ToInstant(DateTime local)
        {
            local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
            if (zone.IsAmbiguousTime(local))
            {
                var offsets = zone.GetAmbiguousTimeOffsets(local);
                return new DateTimeOffset(local, offsets.Max());
            }

            if (!zone.IsInvalidTime(local))
            {
                return new DateTimeOffset(local, zone.GetUtcOffset(local));
            }

            // In a gap: find the transition, the first minute whose UTC offset puts it after the skipped time.
            var probe = local;
            while (zone.IsInvalidTime(probe))
            {
                probe = probe.AddMinutes(-1);
            }

            var before = zone.GetUtcOffset(probe);
            var instant = new DateTimeOffset(probe, before);
            while (TimeZoneInfo.ConvertTime(instant, zone).Offset == before)
            {
                instant = instant.AddMinutes(1);
            }

            return TimeZoneInfo.ConvertTime(instant, zone);
        }

        private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

        private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    }
}
