using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Reconcile.Git;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>Pull mode: a broken commit stalls the branch while the last good target keeps rolling out; push webhooks.</summary>
public sealed class GitWatcherTests
{
    [Fact]
    public async Task A_broken_commit_is_stalled_and_the_last_good_target_keeps_being_served()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var device = await fleet.DeviceAsync();
        await fleet.UploadImageAsync("image-2");
        var devices = new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] };
        fleet.WriteFleet(devices, "image-2");
        var good = fleet.Repository.Commit("image-2 on main");
        await fleet.ReconcileAsync("main");

        fleet.Repository.Write("inventory.yml", "all:\n  children:\n    main_devices: [\n");
        var broken = fleet.Repository.Commit("Oops");
        await fleet.ReconcileAsync("main");
        var status = await fleet.StatusAsync("main");
        status.LastSeenCommit.ShouldBe(broken);
        status.AppliedCommit!.Sha.ShouldBe(good);
        var stalled = status.Conditions.Single(c => c.Type == "Stalled");
        stalled.Status.ShouldBeTrue();
        stalled.Message.ShouldContain("keeps rolling out");
        status.Errors.ShouldContain(e => e.StartsWith("inventory.yml:", StringComparison.Ordinal) && e.Contains("[yaml-syntax]", StringComparison.Ordinal));
        status.Conditions.Single(c => c.Type == "Ready").Status.ShouldBeFalse();

        (await device.ConvergeAsync()).Count.ShouldBe(2, "the last good target is still served");
        device.Image.ShouldBe("image-2");
        await fleet.RunAsync();
        status = await fleet.StatusAsync("main");
        status.Devices.Converged.ShouldBe(1);
        (await fleet.GateAsync("main")).Reasons.ShouldContain(r => r.Contains("stalled", StringComparison.Ordinal));

        fleet.WriteFleet(devices, "image-2");
        var fixedCommit = fleet.Repository.Commit("Fix the inventory");
        await fleet.ReconcileAsync("main");
        status = await fleet.StatusAsync("main");
        status.Conditions.Single(c => c.Type == "Stalled").Status.ShouldBeFalse();
        status.Errors.ShouldBeEmpty();
        status.AppliedCommit!.Sha.ShouldBe(fixedCommit);
        status.Conditions.Single(c => c.Type == "Ready").Status.ShouldBeTrue("the fix renders the same desired state the device already runs");
        (await device.CheckInAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task When_only_the_facts_change_the_background_watcher_plans_again_no_sooner_than_four_times_the_last_plan_s_cost()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        await fleet.UploadImageAsync("image-2");
        fleet.Repository.Write("inventory.yml", """
            all:
              children:
                field:
                  selector:
                    matchExpressions:
                      - {key: device_type, operator: In, values: [raspberrypi4]}
                  vars:
                    subscribed_branch: main
            """);
        fleet.Repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: image-2\n");
        fleet.Repository.Commit("Every Raspberry Pi 4 on main");
        // Each phase of a plan takes 10 s of the test's clock, so a plan costs tens of seconds.
        var planned = 0;
        fleet.Watcher.PhaseObserver = (phase, _) =>
        {
            fleet.Time.Advance(TimeSpan.FromSeconds(10));
            planned += phase == "submit" ? 1 : 0;
        };

        using var first = await fleet.DeviceAsync();
        await fleet.Watcher.ReconcileAsync("main", paced: true, CancellationToken.None);
        await fleet.RunAsync();
        planned.ShouldBe(1);
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(1);

        using var second = await fleet.DeviceAsync();
        await fleet.Watcher.ReconcileAsync("main", paced: true, CancellationToken.None);
        await fleet.RunAsync();
        planned.ShouldBe(1, "a device joined right after a plan: the change waits");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(1);

        fleet.Time.Advance(TimeSpan.FromMinutes(10));
        await fleet.Watcher.ReconcileAsync("main", paced: true, CancellationToken.None);
        await fleet.RunAsync();
        planned.ShouldBe(2, "four times the plan's cost has passed");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(2);

        using var third = await fleet.DeviceAsync();
        await fleet.Watcher.ReconcileAsync("main", paced: false, CancellationToken.None);
        await fleet.RunAsync();
        planned.ShouldBe(3, "an explicit reconcile is not paced");

        using var fourth = await fleet.DeviceAsync();
        fleet.Repository.Write("README.md", "a new commit\n");
        fleet.Repository.Commit("A new commit");
        await fleet.Watcher.ReconcileAsync("main", paced: true, CancellationToken.None);
        await fleet.RunAsync();
        planned.ShouldBe(4, "a new commit is planned at once, whatever the pace");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(4);
    }

    [Fact]
    public async Task A_commit_that_selects_on_another_attribute_is_planned_on_facts_that_hold_it()
    {
        // The watcher starts reading the facts before it loads a commit, with the parts the last plan read
        // (EarlyFactsRead); a commit whose groups select on an attribute the last plan did not read must not be
        // planned on those facts.
        await using var fleet = await ReconcileHarness.StartAsync();
        await fleet.UploadImageAsync("image-2");
        using var device = await fleet.DeviceAsync();
        string Group(string key, string value) => $$"""
            all:
              children:
                field:
                  selector:
                    matchExpressions:
                      - {key: {{key}}, operator: In, values: [{{value}}]}
                  vars:
                    subscribed_branch: main
            """;
        fleet.Repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: image-2\n");
        fleet.Repository.Write("inventory.yml", Group("device_type", "raspberrypi4"));
        fleet.Repository.Commit("Every Raspberry Pi 4 on main");
        await fleet.ReconcileAsync("main");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(1);

        fleet.Repository.Write("inventory.yml", Group("attributes.artifact_name", "image-1"));
        fleet.Repository.Commit("Devices running image-1 on main");
        await fleet.ReconcileAsync("main");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(1, "the device reports artifact_name image-1");

        fleet.Repository.Write("inventory.yml", Group("attributes.artifact_name", "image-0"));
        fleet.Repository.Commit("Devices running image-0 on main");
        await fleet.ReconcileAsync("main");
        (await fleet.StatusAsync("main")).Devices.Total.ShouldBe(0, "the same parts of the facts as the last plan: read early, and no device runs image-0");
    }

    [Fact]
    public void Projections_keep_the_same_parts_when_their_sets_hold_the_same_names()
    {
        FactsProjection Of(string[]? attributes, string[]? identity, bool configured = false) => new()
        {
            Attributes = attributes?.ToHashSet(StringComparer.Ordinal),
            Identity = identity?.ToHashSet(StringComparer.Ordinal),
            ConfiguredConfiguration = configured,
        };

        Of(["a", "b"], ["mac"]).KeepsSamePartsAs(Of(["b", "a"], ["mac"])).ShouldBeTrue();
        FactsProjection.All.KeepsSamePartsAs(FactsProjection.All with { }).ShouldBeTrue();
        Of(["a", "b"], ["mac"]).KeepsSamePartsAs(Of(["a"], ["mac"])).ShouldBeFalse();
        Of(["a"], ["mac"]).KeepsSamePartsAs(Of(["a", "b"], ["mac"])).ShouldBeFalse();
        Of(["a"], ["mac"]).KeepsSamePartsAs(Of(["b"], ["mac"])).ShouldBeFalse();
        Of(["a"], []).KeepsSamePartsAs(Of(["a"], null)).ShouldBeFalse("null keeps every identity attribute");
        Of(["a"], ["mac"]).KeepsSamePartsAs(Of(["a"], ["mac"], configured: true)).ShouldBeFalse();
    }

    [Fact]
    public async Task An_unreachable_repository_is_reconciling_with_a_message_not_stalled()
    {
        await using var fleet = await ReconcileHarness.StartAsync(o => o with { FleetRepository = "/nonexistent/fleet-repo" });
        await fleet.Watcher.ReconcileAsync("main", CancellationToken.None);
        var status = await fleet.StatusAsync("main");
        var reconciling = status.Conditions.Single(c => c.Type == "Reconciling");
        reconciling.Status.ShouldBeTrue();
        reconciling.Reason.ShouldBe("RetryingAfterError");
        reconciling.Message.ShouldContain("cannot read the fleet repository");
        reconciling.Message.ShouldContain("retrying at");
        status.Conditions.Single(c => c.Type == "Stalled").Status.ShouldBeFalse();
        status.Conditions.Single(c => c.Type == "Ready").Status.ShouldBeFalse();
    }

    [Fact]
    public async Task Webhooks_with_a_bad_signature_are_rejected_and_a_valid_push_reconciles_the_branch_at_once()
    {
        await using var fleet = await ReconcileHarness.StartAsync(o => o with { BackgroundReconcile = true });
        using var device = await fleet.DeviceAsync();
        foreach (var branch in new[] { "main", "canary", "production" })
        {
            // The watcher's first pass at start (an empty repository: stalled) must be over before the commit.
            await WaitForAsync(async () => (await fleet.StatusAsync(branch)).LastSeenCommit is not null, "the watcher's first pass");
        }

        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] }, "image-1");
        var head = fleet.Repository.Commit("Declare the device");
        var push = Encoding.UTF8.GetBytes($$"""{"ref": "refs/heads/main", "after": "{{head}}"}""");
        using var anonymous = fleet.Server.Anonymous();

        (await PostAsync(anonymous, "github", push, ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + Hmac(push, "wrong-secret")))).ShouldBe(HttpStatusCode.Unauthorized);
        (await PostAsync(anonymous, "github", push, ("X-GitHub-Event", "push"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await PostAsync(anonymous, "gitea", push, ("X-Gitea-Event", "push"), ("X-Gitea-Signature", "zz"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await PostAsync(anonymous, "gitlab", push, ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "guess"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await fleet.StatusAsync("main")).AppliedCommit?.Sha.ShouldNotBe(head, "a rejected webhook triggers nothing");

        var signature = "sha256=" + Hmac(push, ReconcileHarness.WebhookSecret);
        (await PostAsync(anonymous, "github", push, ("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", signature))).ShouldBe(HttpStatusCode.NoContent);
        var tag = Encoding.UTF8.GetBytes("""{"ref": "refs/heads/feature"}""");
        (await PostAsync(anonymous, "gitea", tag, ("X-Gitea-Event", "push"), ("X-Gitea-Signature", Hmac(tag, ReconcileHarness.WebhookSecret)))).ShouldBe(HttpStatusCode.NoContent);
        (await PostAsync(anonymous, "gitlab", push, ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", ReconcileHarness.WebhookSecret))).ShouldBe(HttpStatusCode.Accepted);
        (await PostAsync(anonymous, "github", push, ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature))).ShouldBe(HttpStatusCode.Accepted);

        await WaitForAsync(async () => (await fleet.StatusAsync("main")).AppliedCommit?.Sha == head, "the push to be reconciled");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    private static string Hmac(byte[] body, string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string provider, byte[] body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/gitfleet/webhooks/{provider}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
