using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;
using Gitfleet.Core.Selectors;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>
/// Maintenance windows with an explicit clock: across midnight, across DST changes in Europe/Zurich
/// (2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00) and America/New_York (2026-03-08 02:00→03:00,
/// 2026-11-01 02:00→01:00), cron and days-and-hours, blackout days, overlapping windows, and which windows a device gets.
/// </summary>
public sealed class MaintenanceCalendarTests
{
    private const string Zurich = "Europe/Zurich";
    private const string NewYork = "America/New_York";

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static MaintenanceWindow Weekly(string zone, string from, string to, params DayOfWeek[] days) => new()
    {
        Name = "w",
        TimeZone = zone,
        Schedule = new WeeklyWindowSchedule(days.Length == 0 ? Enum.GetValues<DayOfWeek>().ToHashSet() : days.ToHashSet(), TimeOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), TimeOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static MaintenanceWindow Cron(string zone, string expression, TimeSpan duration, string name = "c") =>
        new() { Name = name, TimeZone = zone, Schedule = new CronWindowSchedule(expression, duration) };

    private static WindowState At(MaintenanceWindow window, DateTimeOffset now, params BlackoutPeriod[] blackouts) =>
        MaintenanceCalendar.For([window], blackouts).StateAt(now);

    public static TheoryData<string, DateTimeOffset, bool, DateTimeOffset?> AcrossMidnight => new()
    {
        // Fridays 22:00-04:00 in Zurich (UTC+1 in January); 2026-01-09 is a Friday.
        { "Friday evening, before it opens", Utc(2026, 1, 9, 20, 59), false, Utc(2026, 1, 9, 21) },
        { "Friday 22:00 sharp", Utc(2026, 1, 9, 21), true, Utc(2026, 1, 10, 3) },
        { "Saturday 03:00, past midnight", Utc(2026, 1, 10, 2), true, Utc(2026, 1, 10, 3) },
        { "Saturday 04:00, closed until next Friday", Utc(2026, 1, 10, 3), false, Utc(2026, 1, 16, 21) },
        { "Thursday 23:00 is not a window day", Utc(2026, 1, 8, 22), false, Utc(2026, 1, 9, 21) },
    };

    [Theory]
    [MemberData(nameof(AcrossMidnight))]
    public void A_window_past_midnight_belongs_to_the_day_it_opens(string moment, DateTimeOffset now, bool open, DateTimeOffset? until)
    {
        var state = At(Weekly(Zurich, "22:00", "04:00", DayOfWeek.Friday), now);
        (state.Open, state.Until).ShouldBe((open, until), moment);
    }

    [Fact]
    public void Wall_clock_hours_lose_an_hour_when_the_clock_springs_forward_in_zurich()
    {
        var window = Weekly(Zurich, "01:00", "05:00");
        At(window, Utc(2026, 3, 28, 23, 59)).ShouldBe(new WindowState(false, Utc(2026, 3, 29, 0), "w"), "opens 01:00 CET");
        At(window, Utc(2026, 3, 29, 2, 30)).ShouldBe(new WindowState(true, Utc(2026, 3, 29, 3), "w"), "04:30 CEST; closes 05:00 CEST: three real hours");
        At(window, Utc(2026, 3, 29, 3)).Open.ShouldBeFalse();
    }

    [Fact]
    public void A_window_that_opens_in_the_skipped_hour_opens_when_the_clock_jumps()
    {
        var window = Weekly(Zurich, "02:30", "03:30");
        At(window, Utc(2026, 3, 29, 0, 30)).ShouldBe(new WindowState(false, Utc(2026, 3, 29, 1), "w"), "01:30 CET; 02:30 does not exist, the clock jumps to 03:00 CEST at 01:00Z");
        At(window, Utc(2026, 3, 29, 1, 10)).ShouldBe(new WindowState(true, Utc(2026, 3, 29, 1, 30), "w"));
        At(window, Utc(2026, 3, 30, 0, 0)).ShouldBe(new WindowState(false, Utc(2026, 3, 30, 0, 30), "w"), "the day after: 02:30 CEST");
    }

    [Fact]
    public void Wall_clock_hours_gain_an_hour_when_the_clock_falls_back_in_new_york()
    {
        // 2026-11-01: 01:00-01:59 happens twice (EDT, then EST). The window opens at the first 01:00 and closes at 02:00 EST.
        var window = Weekly(NewYork, "01:00", "02:00");
        At(window, Utc(2026, 11, 1, 4, 59)).ShouldBe(new WindowState(false, Utc(2026, 11, 1, 5), "w"));
        At(window, Utc(2026, 11, 1, 5, 30)).ShouldBe(new WindowState(true, Utc(2026, 11, 1, 7), "w"), "01:30 EDT");
        At(window, Utc(2026, 11, 1, 6, 30)).ShouldBe(new WindowState(true, Utc(2026, 11, 1, 7), "w"), "01:30 EST, the second time");
        At(window, Utc(2026, 11, 2, 5, 30)).ShouldBe(new WindowState(false, Utc(2026, 11, 2, 6), "w"), "the next day opens at 01:00 EST");
    }

    [Fact]
    public void A_cron_window_in_the_skipped_hour_fires_when_the_clock_jumps_and_lasts_its_duration()
    {
        var window = Cron(NewYork, "0 2 * * *", TimeSpan.FromHours(4));
        At(window, Utc(2026, 3, 7, 7, 30)).ShouldBe(new WindowState(true, Utc(2026, 3, 7, 11), "c"), "02:30 EST on the day before");
        At(window, Utc(2026, 3, 8, 6, 30)).ShouldBe(new WindowState(false, Utc(2026, 3, 8, 7), "c"), "01:30 EST; 02:00 does not exist, it fires at 03:00 EDT");
        At(window, Utc(2026, 3, 8, 10, 59)).ShouldBe(new WindowState(true, Utc(2026, 3, 8, 11), "c"));
        At(window, Utc(2026, 3, 9, 5)).ShouldBe(new WindowState(false, Utc(2026, 3, 9, 6), "c"), "02:00 EDT from now on");
    }

    [Fact]
    public void A_cron_window_at_a_repeated_time_fires_once()
    {
        var window = Cron(Zurich, "30 2 * * *", TimeSpan.FromHours(1));
        At(window, Utc(2026, 10, 25, 0, 45)).ShouldBe(new WindowState(true, Utc(2026, 10, 25, 1, 30), "c"), "02:45 CEST");
        At(window, Utc(2026, 10, 25, 1, 35)).ShouldBe(new WindowState(false, Utc(2026, 10, 26, 1, 30), "c"), "02:35 CET, the second 02:30 passed without opening again");
    }

    [Fact]
    public void A_blackout_day_closes_windows_on_its_local_calendar_day()
    {
        var nights = Cron(Zurich, "0 22 * * *", TimeSpan.FromHours(6));
        var christmasEve = new BlackoutPeriod(new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 24));
        At(nights, Utc(2026, 12, 23, 21, 30), christmasEve).ShouldBe(new WindowState(true, Utc(2026, 12, 23, 23), "c"), "open until local midnight, where the blackout starts");
        At(nights, Utc(2026, 12, 23, 23, 30), christmasEve).ShouldBe(new WindowState(false, Utc(2026, 12, 24, 23), "c"), "00:30 on the 24th: closed; the window of the 24th is open again at 00:00 on the 25th");
        At(nights, Utc(2026, 12, 25, 0, 30), christmasEve).ShouldBe(new WindowState(true, Utc(2026, 12, 25, 3), "c"));
    }

    [Fact]
    public void Blackouts_without_windows_close_whole_days_in_the_rollout_time_zone()
    {
        var freeze = new BlackoutPeriod(new DateOnly(2026, 12, 31), new DateOnly(2027, 1, 1));
        var calendar = MaintenanceCalendar.For([], [freeze], NewYork);
        calendar.Unrestricted.ShouldBeFalse();
        calendar.StateAt(Utc(2026, 12, 30, 12)).ShouldBe(new WindowState(true, Utc(2026, 12, 31, 5), null), "until midnight EST");
        calendar.StateAt(Utc(2027, 1, 1, 12)).ShouldBe(new WindowState(false, Utc(2027, 1, 2, 5), null));
        MaintenanceCalendar.For([], []).StateAt(Utc(2027, 1, 1, 12)).ShouldBe(WindowState.AlwaysOpen);
    }

    [Fact]
    public void Overlapping_windows_merge_and_the_earliest_next_opening_wins()
    {
        var evening = Cron(Zurich, "0 22 * * *", TimeSpan.FromHours(2), "evening");
        var night = Weekly(Zurich, "23:00", "02:00") with { Name = "night" };
        var morning = Weekly(NewYork, "06:00", "07:00") with { Name = "morning" };
        var calendar = MaintenanceCalendar.For([evening, night, morning], []);
        calendar.StateAt(Utc(2026, 1, 12, 21, 30)).ShouldBe(new WindowState(true, Utc(2026, 1, 13, 1), "evening"), "22:30 CET: evening runs into night, open until 02:00 CET");
        calendar.StateAt(Utc(2026, 1, 13, 2)).ShouldBe(new WindowState(false, Utc(2026, 1, 13, 11), "morning"), "03:00 CET: next is 06:00 EST (11:00Z)");
    }

    [Fact]
    public void A_window_that_never_opens_says_so()
    {
        var state = At(Cron("UTC", "0 0 30 2 *", TimeSpan.FromHours(1)), Utc(2026, 1, 1, 0));
        state.ShouldBe(new WindowState(false, null, null));
    }

    [Fact]
    public void Devices_get_the_windows_their_labels_and_groups_select_else_the_unselected_ones()
    {
        var tokyo = Weekly("Asia/Tokyo", "01:00", "05:00") with { Name = "tokyo", Selector = new Selector(new Dictionary<string, string> { ["site"] = "tokyo" }, [], []) };
        var kiosks = Weekly(Zurich, "02:00", "03:00") with { Name = "kiosks", Selector = new Selector(new Dictionary<string, string>(), [], ["kiosks"]) };
        var everyone = Cron(Zurich, "0 22 * * *", TimeSpan.FromHours(6), "nights");
        IReadOnlyList<MaintenanceWindow> windows = [tokyo, kiosks, everyone];
        WindowAssignment.For(windows, k => k == "site" ? "tokyo" : null, _ => false).ShouldBe(["tokyo"]);
        WindowAssignment.For(windows, k => k == "site" ? "tokyo" : null, g => g == "kiosks").ShouldBe(["tokyo", "kiosks"]);
        WindowAssignment.For(windows, _ => null, _ => false).ShouldBe(["nights"]);
        WindowAssignment.For([tokyo], _ => null, _ => false).ShouldBeEmpty("no window applies: install any time");
        WindowAssignment.Named(windows, ["kiosks", "nights"]).Select(w => w.Name).ShouldBe(["kiosks", "nights"]);
    }
}
