using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Resolution;
using Gitfleet.Core.Rollouts;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Reconcile;

public sealed class ReconcileContractTests
{
    private const string Gateway = "5ef8c955-4f87-4243-adcd-160f70c3c45e";
    private const string Kiosk = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Target_carries_images_deduplicated_configurations_dependencies_admissions_and_problems()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  vars: {{subscribed_branch: production}}\n  children:\n    gateways:\n      hosts:\n        {Gateway}:\n    kiosks:\n      hosts:\n        {Kiosk}:\n        line-unit:\n          identity: {{mac: 'aa:bb'}}\n          public_key: \"-----BEGIN PUBLIC KEY-----\\nMCo=\\n-----END PUBLIC KEY-----\"\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\nconfiguration: {template: t.json}\n"),
            ("templates/t.json", """{"a": "{{env "S"}}"}"""),
            ("gitfleet.yml", "branches:\n  production:\n    rollout: {waves: [10%, 100%], retries: 2, soak: 1h}\n    correctDrift: true\ngroups:\n  kiosks: {dependsOn: [gateways]}\n"));
        var facts = new[]
        {
            new DeviceFacts { Id = Gateway, DeviceType = "pi4", ArtifactName = "v1" },
            new DeviceFacts { Id = Kiosk, DeviceType = "pi4", ArtifactName = "v2" },
        };
        var members = FleetMembership.Resolve(revision, facts);
        var plan = Planner.Plan(new PlanRequest { Branch = "production", Revision = revision, Facts = facts, Members = members, Secrets = _ => "s3cr3t" });
        var target = BranchTargetBuilder.Build(plan, revision, members);

        target.Devices.Select(d => (d.Id, d.Image)).ShouldBe([(Kiosk, "v2"), (Gateway, "v2")]);
        target.Configurations.Count.ShouldBe(1, "both devices render the same configuration");
        var configuration = target.Configurations.Values.Single();
        configuration.SecretKeys.ShouldBe(["a"]);
        configuration.Values["a"].ShouldBe("s3cr3t");
        target.Devices.Single(d => d.Id == Kiosk).Groups.ShouldBe(["kiosks"]);
        target.DependsOn["kiosks"].ShouldBe(["gateways"]);
        target.CorrectDrift.ShouldBeTrue();
        target.Policy.ToPolicy().Waves.ShouldBe([Quantity.Percent(10), Quantity.Percent(100)]);
        target.Policy.ToPolicy().Soak.ShouldBe(TimeSpan.FromHours(1));
        target.Admissions.Single().Identity["mac"].ShouldBe("aa:bb");
        target.Problems.Single().Code.ShouldBe(PlanProblemCodes.UnknownDevice);
        target.ContentHash.ShouldBe(revision.ContentHash);

        var json = JsonSerializer.Serialize(target, ReconcileJson.Context.BranchTarget);
        json.ShouldContain("\"secret_keys\":[\"a\"]");
        var back = JsonSerializer.Deserialize(json, ReconcileJson.Context.BranchTarget)!;
        JsonSerializer.Serialize(back, ReconcileJson.Context.BranchTarget).ShouldBe(json, "round trip");
    }

    [Theory]
    [InlineData("v2", true, null, "converged")]
    [InlineData("v1", false, null, "pending")]
    [InlineData("v1", false, RolloutDeviceState.Scheduled, "in_progress")]
    [InlineData("v1", false, RolloutDeviceState.Failed, "failed")]
    [InlineData("v1", false, RolloutDeviceState.Succeeded, "modified")]
    [InlineData("v2", false, null, "pending")]
    public void Devices_are_classified_against_the_target(string installed, bool configured, RolloutDeviceState? rollout, string expected)
    {
        var desired = new RenderedConfiguration(new Dictionary<string, string> { ["k"] = "v" }, new HashSet<string>());
        var facts = new DeviceFacts
        {
            Id = "d",
            ArtifactName = installed,
            LastCheckIn = Now.AddMinutes(-1),
            ReportedConfiguration = configured ? new Dictionary<string, string> { ["k"] = "v" } : null,
        };
        var os = TargetComparison.CompareOs(facts, "v2");
        var configuration = TargetComparison.CompareConfiguration(facts, desired, os.Kind == ActionKind.Update);
        var state = Convergence.Classify(facts, os, configuration, rollout, Now, TimeSpan.FromHours(1));
        JsonSerializer.Serialize(state).ShouldBe($"\"{expected}\"");
    }

    [Fact]
    public void Silent_devices_that_need_a_change_are_offline()
    {
        var facts = new DeviceFacts { Id = "d", ArtifactName = "v1", LastCheckIn = Now.AddHours(-3) };
        var os = TargetComparison.CompareOs(facts, "v2");
        Convergence.Classify(facts, os, ConfigAction.Nothing, RolloutDeviceState.Scheduled, Now, TimeSpan.FromHours(1)).ShouldBe(ConvergenceState.Offline);
    }

    private static BranchStatus Status(int total, int converged, int failed = 0, int modified = 0, string commit = "abc123", DateTimeOffset? completed = null) => new()
    {
        Branch = "canary",
        AppliedCommit = new CommitInfo(commit + "0000", "a", "s", Now),
        Devices = new DeviceCounts { Total = total, Converged = converged, Failed = failed, Modified = modified, Pending = total - converged - failed - modified },
        Rollout = new RolloutSummary { Phase = completed is null ? RolloutPhase.Progressing : RolloutPhase.Completed, CompletedAt = completed },
    };

    [Fact]
    public void Gate_passes_on_a_converged_commit_after_the_soak()
    {
        var result = Gate.Evaluate(Status(4, 4, completed: Now.AddMinutes(-20)), "abc123", 100, TimeSpan.FromMinutes(10), Now);
        result.Passed.ShouldBeTrue(string.Join("; ", result.Reasons));
    }

    [Fact]
    public void Gate_waits_while_soaking_and_names_the_remaining_time()
    {
        var result = Gate.Evaluate(Status(4, 4, completed: Now.AddMinutes(-4)), "abc123", 100, TimeSpan.FromMinutes(10), Now);
        result.Passed.ShouldBeFalse();
        result.Final.ShouldBeFalse();
        result.Reasons.Single().ShouldContain("soaking");
    }

    [Fact]
    public void Gate_blocks_on_failures_on_another_commit_and_on_drift()
    {
        var failed = Gate.Evaluate(Status(4, 3, failed: 1, completed: Now.AddHours(-1)), "abc123", 100, TimeSpan.Zero, Now);
        failed.Passed.ShouldBeFalse();
        failed.Final.ShouldBeTrue("nothing is pending: waiting will not help");
        failed.Reasons.ShouldContain("1 of 4 devices failed");

        Gate.Evaluate(Status(4, 4, completed: Now), "def456", 100, TimeSpan.Zero, Now).Reasons.Single().ShouldContain("runs abc1230000, not def456");
        Gate.Evaluate(Status(4, 3, modified: 1, completed: Now), null, 50, TimeSpan.Zero, Now).Reasons.Single().ShouldContain("drifted");
        Gate.Evaluate(Status(4, 3, failed: 1, completed: Now), null, 75, TimeSpan.Zero, Now).Passed.ShouldBeTrue("75% converged: one failure is within the budget");
        Gate.Evaluate(Status(4, 2, failed: 2, completed: Now), null, 75, TimeSpan.Zero, Now).Reasons.ShouldContain("2 of 4 devices failed");
    }

    [Fact]
    public void Gate_names_the_failed_devices_and_why()
    {
        var status = Status(4, 3, failed: 1, completed: Now) with
        {
            Issues = [new DeviceIssue("gw-7", "failed", "OS image img-3 failed: health check failed"), new DeviceIssue("gw-8", "offline", "silent")],
        };

        Gate.Evaluate(status, null, 100, TimeSpan.Zero, Now).Reasons.ShouldContain("device gw-7 failed: OS image img-3 failed: health check failed");
        Gate.Evaluate(status, null, 100, TimeSpan.Zero, Now).Reasons.ShouldNotContain(r => r.Contains("gw-8", StringComparison.Ordinal));
    }
}
