using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Selectors;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// A recurring time in which devices may start installing (hawkBit's maintenance window, AWS IoT Jobs'
/// scheduling). Either a cron expression with a duration, or days of the week with wall-clock hours, in an IANA
/// time zone. With a <see cref="Selector"/> the window applies to the devices it matches (a site, a time zone, a
/// device class); without one, to the branch's other devices.
/// </summary>
public sealed record MaintenanceWindow
{
    /// <summary>A name for status lines ("window 'nights' closed until ..."); the position in the list when not given.</summary>
    public required string Name { get; init; }

    public required WindowSchedule Schedule { get; init; }

    /// <summary>An IANA time zone id (Europe/Zurich); validated when the file is read.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Which devices the window applies to; null for every device no selected window matches.</summary>
    public Selector? Selector { get; init; }

    public SourceLocation? Location { get; init; }
}

/// <summary>When a window opens and how long it stays open.</summary>
public abstract record WindowSchedule;

/// <summary>
/// Opens at every occurrence of a five-field cron expression (minute hour day-of-month month day-of-week, as
/// Cronos reads it) in the window's time zone, for <see cref="Duration"/> of elapsed time.
/// </summary>
public sealed record CronWindowSchedule(string Expression, TimeSpan Duration) : WindowSchedule;

/// <summary>
/// Opens on the given days at <see cref="From"/> and closes at <see cref="To"/>, both wall-clock times in the
/// window's time zone; when <see cref="To"/> is not after <see cref="From"/> the window runs past midnight into
/// the next day (it belongs to the day it opens on).
/// </summary>
public sealed record WeeklyWindowSchedule(IReadOnlySet<DayOfWeek> Days, TimeOnly From, TimeOnly To) : WindowSchedule;

/// <summary>Calendar days (inclusive, in the window's time zone) on which no window opens: holidays, freezes.</summary>
public sealed record BlackoutPeriod(DateOnly From, DateOnly To)
{
    public bool Contains(DateOnly day) => day >= From && day <= To;

    public override string ToString() => From == To ? From.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)
        : $"{From.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}..{To.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}";
}
