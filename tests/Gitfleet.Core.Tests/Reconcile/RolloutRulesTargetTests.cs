using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Resolution;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Reconcile;

/// <summary>The rollout rules travel in the target: the policy round-trips, windows are resolved per device, bad documents are refused.</summary>
public sealed class RolloutRulesTargetTests
{
    private const string Tokyo = "5ef8c955-4f87-4243-adcd-160f70c3c45e";
    private const string Zurich = "3fb4632b-96b9-475d-ac89-02255bd15b6f";

    private const string Settings = """
        images:
          v2: {force: true}
        branches:
          production:
            paused: true
            rollout:
              completeAt: 99%
              timezone: Europe/Zurich
              windows:
                - {name: nights, cron: "0 22 * * *", duration: 6h}
                - {name: tokyo, selector: {matchLabels: {site: tokyo}}, days: [mon-fri], hours: "01:00-05:00", timezone: Asia/Tokyo}
                - {name: kiosks, selector: {groups: [kiosks]}, hours: "02:00-03:00"}
              blackouts: [2026-12-24, "2026-12-31..2027-01-01"]
              pacing: {perMinute: 50, ramp: {factor: 2, every: 100, maxPerMinute: 1000}}
              timeouts: {downloading: 2h, installing: 30m}
              abort:
                - {on: failed, threshold: 10%, minFinished: 20, action: revert}
                - {threshold: 3, action: pause}
        """;

    private static BranchTarget Target()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  vars: {{subscribed_branch: production}}\n  children:\n    gateways:\n      hosts:\n        {Tokyo}:\n          labels: {{site: tokyo}}\n    kiosks:\n      hosts:\n        {Zurich}:\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\n"),
            ("gitfleet.yml", Settings));
        var facts = new[] { new DeviceFacts { Id = Tokyo, DeviceType = "pi4", ArtifactName = "v1" }, new DeviceFacts { Id = Zurich, DeviceType = "pi4", ArtifactName = "v1" } };
        var members = FleetMembership.Resolve(revision, facts);
        var plan = Planner.Plan(new PlanRequest { Branch = "production", Revision = revision, Facts = facts, Members = members, Secrets = _ => null });
        return BranchTargetBuilder.Build(plan, revision, members);
    }

    [Fact]
    public void The_rules_round_trip_through_the_target_and_windows_are_resolved_per_device()
    {
        var target = Target();
        target.Paused.ShouldBeTrue();
        target.ForcedImages.ShouldBe(["v2"]);
        target.Devices.Single(d => d.Id == Tokyo).Windows.ShouldBe(["tokyo"]);
        target.Devices.Single(d => d.Id == Zurich).Windows.ShouldBe(["kiosks"]);

        var json = JsonSerializer.Serialize(target, ReconcileJson.Context.BranchTarget);
        json.ShouldContain("\"cron\":\"0 22 * * *\"");
        var back = JsonSerializer.Deserialize(json, ReconcileJson.Context.BranchTarget)!;
        JsonSerializer.Serialize(back, ReconcileJson.Context.BranchTarget).ShouldBe(json);

        var policy = back.Policy.ToPolicy();
        policy.CompleteAt.ShouldBe(Quantity.Percent(99));
        policy.TimeZone.ShouldBe("Europe/Zurich");
        policy.Windows.Select(w => (w.Name, w.TimeZone)).ShouldBe([("nights", "Europe/Zurich"), ("tokyo", "Asia/Tokyo"), ("kiosks", "Europe/Zurich")]);
        policy.Windows[0].Schedule.ShouldBe(new CronWindowSchedule("0 22 * * *", TimeSpan.FromHours(6)));
        var tokyo = policy.Windows[1].Schedule.ShouldBeOfType<WeeklyWindowSchedule>();
        tokyo.Days.Count.ShouldBe(5);
        (tokyo.From, tokyo.To).ShouldBe((new TimeOnly(1, 0), new TimeOnly(5, 0)));
        policy.Blackouts.Count.ShouldBe(2);
        policy.Pacing.ShouldBe(new PacingPolicy(50) { Ramp = new PacingRamp(2, 100) { MaxPerMinute = 1000 } });
        policy.Timeouts.ShouldBe(new PhaseTimeouts { Downloading = TimeSpan.FromHours(2), Installing = TimeSpan.FromMinutes(30) });
        policy.Abort.Select(a => (a.On, a.Threshold, a.MinFinished, a.Action)).ShouldBe([
            (FailureKind.Failed, Quantity.Percent(10), 20, AbortAction.Revert),
            ((FailureKind?)null, Quantity.Count(3), 1, AbortAction.Pause),
        ]);
    }

    [Fact]
    public void A_policy_without_rules_writes_none()
    {
        JsonSerializer.Serialize(RolloutPolicyDocument.From(RolloutPolicy.AllAtOnce), ReconcileJson.Context.BranchTarget.Options).ShouldNotContain("rules");
    }

    [Theory]
    [InlineData("""{"complete_at": "50"}""", "complete_at must be a percentage above 0%")]
    [InlineData("""{"time_zone": "Mars/Olympus"}""", "unknown time zone 'Mars/Olympus'")]
    [InlineData("""{"windows": [{"name": "w", "time_zone": "UTC", "cron": "0 25 * * *", "duration_seconds": 60}]}""", "window 'w': '0 25 * * *' is not a cron expression")]
    [InlineData("""{"windows": [{"name": "w", "time_zone": "UTC", "cron": "0 2 * * *"}]}""", "window 'w' needs duration_seconds")]
    [InlineData("""{"windows": [{"name": "w", "time_zone": "UTC", "days": ["moonday"], "from": "01:00", "to": "02:00"}]}""", "'moonday' is not a day")]
    [InlineData("""{"windows": [{"name": "w", "time_zone": "UTC", "from": "1am", "to": "02:00"}]}""", "needs from and to as HH:mm")]
    [InlineData("""{"blackouts": ["2026-02-30"]}""", "'2026-02-30' is not a blackout date")]
    [InlineData("""{"pacing": {"per_minute": 0}}""", "pacing.per_minute must be at least 1")]
    [InlineData("""{"installing_timeout_seconds": -5}""", "installing_timeout_seconds must be above 0")]
    [InlineData("""{"abort": [{"on": "failed", "threshold": "10%", "min_finished": 1, "action": "explode"}]}""", "'action' must be pause, abort or revert")]
    public void A_malformed_rules_document_is_refused_with_the_reason(string rules, string message)
    {
        var json = $$"""{"waves": ["100%"], "retries": 0, "soak_seconds": 0, "offline_timeout_seconds": 60, "rules": {{rules}}}""";
        var document = JsonSerializer.Deserialize<RolloutPolicyDocument>(json, ReconcileJson.Context.BranchTarget.Options)!;
        Should.Throw<FormatException>(() => document.ToPolicy()).Message.ShouldContain(message);
    }
}
