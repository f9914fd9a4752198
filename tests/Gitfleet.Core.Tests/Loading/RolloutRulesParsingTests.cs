using Gitfleet.Core.Fleet;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Loading;

/// <summary>gitfleet.yml's rollout rules for real fleets: what a valid file gives, and every mistake at its file:line:col.</summary>
public sealed class RolloutRulesParsingTests
{
    private const string Device = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private static readonly (string, string) Inventory = ("inventory.yml", $"all:\n  hosts:\n    {Device}:\n");

    private const string Full = """
        images:
          kiosk-os-2.1:
            force: true
        branches:
          production:
            paused: true
            rollout:
              waves: [1%, 10%, 100%]
              completeAt: 99%
              timezone: Europe/Zurich
              windows:
                - name: nights
                  cron: "0 22 * * mon-fri"
                  duration: 6h
                - name: tokyo
                  selector:
                    matchLabels: {site: tokyo}
                  days: [mon-wed, sat]
                  hours: "22:00-04:00"
                  timezone: Asia/Tokyo
              blackouts: [2026-12-24, "2026-12-31..2027-01-01"]
              pacing:
                perMinute: 50
                ramp: {factor: 2, every: 100, maxPerMinute: 1000}
              timeouts: {downloading: 2h, installing: 30m, rebooting: 15m}
              abort:
                - on: failed
                  threshold: 10%
                  minFinished: 20
                  action: revert
                - on: timedOut
                  threshold: 5
                  action: pause
                - threshold: 50%
                  minFinished: 4
                  action: abort
        """;

    [Fact]
    public void A_full_policy_is_read_into_the_model()
    {
        var settings = Snapshots.Valid(Inventory, ("gitfleet.yml", Full)).Settings;
        settings.IsForced("kiosk-os-2.1").ShouldBeTrue();
        settings.IsForced("kiosk-os-2.0").ShouldBeFalse();
        var branch = settings.PolicyFor("production");
        branch.Paused.ShouldBeTrue();
        var rollout = branch.Rollout;
        rollout.CompleteAt.ShouldBe(Quantity.Percent(99));
        rollout.TimeZone.ShouldBe("Europe/Zurich");

        rollout.Windows.Count.ShouldBe(2);
        var nights = rollout.Windows[0];
        nights.Name.ShouldBe("nights");
        nights.TimeZone.ShouldBe("Europe/Zurich", "a window without timezone takes the rollout's");
        nights.Schedule.ShouldBe(new CronWindowSchedule("0 22 * * mon-fri", TimeSpan.FromHours(6)));
        nights.Selector.ShouldBeNull();
        var tokyo = rollout.Windows[1];
        tokyo.TimeZone.ShouldBe("Asia/Tokyo");
        tokyo.Selector!.MatchLabels["site"].ShouldBe("tokyo");
        var weekly = tokyo.Schedule.ShouldBeOfType<WeeklyWindowSchedule>();
        weekly.Days.Order().ShouldBe([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Saturday]);
        (weekly.From, weekly.To).ShouldBe((new TimeOnly(22, 0), new TimeOnly(4, 0)));

        rollout.Blackouts.ShouldBe([new BlackoutPeriod(new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 24)), new BlackoutPeriod(new DateOnly(2026, 12, 31), new DateOnly(2027, 1, 1))]);
        rollout.Pacing.ShouldBe(new PacingPolicy(50) { Ramp = new PacingRamp(2, 100) { MaxPerMinute = 1000 } });
        rollout.Timeouts.ShouldBe(new PhaseTimeouts { Downloading = TimeSpan.FromHours(2), Installing = TimeSpan.FromMinutes(30), Rebooting = TimeSpan.FromMinutes(15) });
        rollout.Abort.Select(r => (r.On, r.Threshold, r.MinFinished, r.Action)).ShouldBe([
            (FailureKind.Failed, Quantity.Percent(10), 20, AbortAction.Revert),
            (FailureKind.TimedOut, Quantity.Count(5), 1, AbortAction.Pause),
            ((FailureKind?)null, Quantity.Percent(50), 4, AbortAction.Abort),
        ]);
        rollout.Abort[0].Location!.Line.ShouldBe(27);
    }

    [Fact]
    public void Without_the_new_keys_nothing_changes()
    {
        var rollout = Snapshots.Valid(Inventory, ("gitfleet.yml", "branches:\n  main:\n    rollout:\n      waves: [10%, 100%]\n")).Settings.PolicyFor("main").Rollout;
        rollout.Windows.ShouldBeEmpty();
        rollout.Pacing.ShouldBeNull();
        rollout.Timeouts.IsEmpty.ShouldBeTrue();
        rollout.Abort.ShouldBeEmpty();
        rollout.CompleteAt.ShouldBe(Quantity.Percent(100));
    }

    [Theory]
    [InlineData("completeAt: 50", 4, "completeAt must be a percentage above 0% (99%), not 50")]
    [InlineData("timezone: Europe/Zurch", 4, "unknown time zone \"Europe/Zurch\"; use an IANA name such as Europe/Zurich, America/New_York or UTC (did you mean 'Europe/Zurich'?)")]
    [InlineData("windows:\n        - cron: \"0 25 * * *\"\n          duration: 1h", 5, "'0 25 * * *' is not a five-field cron expression")]
    [InlineData("windows:\n        - cron: \"0 2 * * *\"", 5, "window 'window 1' needs a 'duration'")]
    [InlineData("windows:\n        - cron: \"0 2 * * *\"\n          duration: 0", 6, "'duration' in window 'window 1' must be longer than 0")]
    [InlineData("windows:\n        - cron: \"0 2 * * *\"\n          hours: 01:00-02:00\n          duration: 1h", 5, "window 'window 1' needs either 'cron' with 'duration', or 'hours' (with optional 'days'), not both")]
    [InlineData("windows:\n        - name: n\n          days: [mon, fryday]\n          hours: 01:00-05:00", 6, "'days' in window 'n' lists days as mon, tue, wed, thu, fri, sat, sun or ranges such as mon-fri, not the string \"fryday\"")]
    [InlineData("windows:\n        - hours: 1am-5am", 5, "'hours' in window 'window 1' must be a wall-clock span such as 01:00-05:00 or 22:00-04:00 (past midnight), not \"1am-5am\"")]
    [InlineData("windows:\n        - hours: 03:00-03:00", 5, "opens and closes at the same time (03:00-03:00); for a whole day write 00:00-24:00")]
    [InlineData("windows:\n        - hours: 01:00-05:00\n          duration: 4h", 6, "'duration' goes with 'cron'")]
    [InlineData("windows:\n        - hours: 01:00-05:00\n          timezone: Mars/Olympus", 6, "unknown time zone \"Mars/Olympus\"")]
    [InlineData("windows:\n        - hours: 01:00-05:00\n          selector: {matchLabels: {site: [a]}}", 6, "matchLabels value for 'site' must be a string")]
    [InlineData("windows:\n        - hours: 01:00-05:00\n          when: always", 6, "unknown key 'when' in window 'window 1'")]
    [InlineData("windows:\n        - name: a\n          hours: 01:00-05:00\n        - name: a\n          hours: 06:00-07:00", 7, "two windows are named 'a'")]
    [InlineData("blackouts: [2026-13-01]", 4, "a blackout is a date (2026-12-24) or an inclusive range (2026-12-24..2026-12-26), not the string \"2026-13-01\"")]
    [InlineData("blackouts: [\"2026-12-26..2026-12-24\"]", 4, "the blackout 2026-12-26..2026-12-24 ends before it starts")]
    [InlineData("pacing: {ramp: {factor: 2, every: 10}}", 4, "the pacing of the rollout of branch 'production' needs 'perMinute'")]
    [InlineData("pacing: {perMinute: 0}", 4, "'perMinute' in the pacing of the rollout of branch 'production' must be a whole number from 1 to 10000000, not the number 0")]
    [InlineData("pacing: {perMinute: 10, ramp: {factor: 1, every: 10}}", 4, "'factor' in the ramp of the pacing of the rollout of branch 'production' must be a number above 1 and at most 100")]
    [InlineData("pacing: {perMinute: 10, ramp: {factor: 2}}", 4, "needs 'every': after how many successes the rate grows")]
    [InlineData("pacing: {perMinute: 10, ramp: {factor: 2, every: 5, maxPerMinute: 5}}", 4, "'maxPerMinute' in the ramp of the pacing of the rollout of branch 'production' must be a whole number from 10 to 10000000, not the number 5")]
    [InlineData("timeouts: {installing: 0}", 4, "'installing' in the timeouts of the rollout of branch 'production' must be longer than 0")]
    [InlineData("timeouts: {instaling: 10m}", 4, "unknown key 'instaling' in the timeouts of the rollout of branch 'production' (did you mean 'installing'?)")]
    [InlineData("abort:\n        - on: failed\n          action: pause", 5, "an abort rule needs a 'threshold'")]
    [InlineData("abort:\n        - on: crashed\n          threshold: 1\n          action: pause", 5, "'on' in an abort rule must be one of failed, timedOut, rejected, any, not \"crashed\"")]
    [InlineData("abort:\n        - threshold: 1\n          action: rollback", 6, "'action' in an abort rule must be one of pause, abort, revert, not \"rollback\"")]
    [InlineData("abort:\n        - threshold: 0%\n          action: pause", 5, "the threshold of an abort rule must be above 0")]
    [InlineData("abort:\n        - threshold: 2\n          minFinished: 0\n          action: pause", 6, "'minFinished' in an abort rule must be a whole number from 1 to 10000000")]
    [InlineData("abort:\n        - threshold: 2", 5, "an abort rule needs 'action'")]
    public void Mistakes_are_reported_where_they_are(string setting, int line, string message)
    {
        var result = Snapshots.Load(Inventory, ("gitfleet.yml", $"branches:\n  production:\n    rollout:\n      {setting}\n"));
        result.Revision.ShouldBeNull();
        var errors = result.Diagnostics.Where(d => d.IsError).ToList();
        errors.ShouldContain(e => e.Location!.File == "gitfleet.yml" && e.Location.Line == line && e.Message.Contains(message, StringComparison.Ordinal),
            string.Join('\n', errors));
    }

    [Theory]
    [InlineData("branches:\n  main:\n    paused: maybe\n", 3, "'paused' in branch 'main' must be true or false")]
    [InlineData("images:\n  os-1: true\n", 2, "image 'os-1' must be a mapping with force")]
    [InlineData("images:\n  os-1:\n    forced: true\n", 3, "unknown key 'forced' in image 'os-1' (did you mean 'force'?)")]
    public void Branch_and_image_mistakes(string text, int line, string message)
    {
        var result = Snapshots.Load(Inventory, ("gitfleet.yml", text));
        var error = result.Diagnostics.Single(d => d.IsError);
        (error.Location!.File, error.Location.Line).ShouldBe(("gitfleet.yml", line));
        error.Message.ShouldContain(message);
    }
}
