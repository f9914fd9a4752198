using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Dashboard;

/// <summary>Operators scoped to branches, viewers, and the audit log: the same rules on the management API and the dashboard.</summary>
public sealed class RolesAndAuditTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;
    private List<FleetDevice> devices = [];

    public async Task InitializeAsync()
    {
        fleet = await ReconcileHarness.StartAsync();
        devices = [await fleet.DeviceAsync(), await fleet.DeviceAsync()];
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["canary"] = [devices[0]], ["production"] = [devices[1]] }, "image-1");
        var commit = fleet.Repository.Commit("configuration for canary and production");
        fleet.Repository.Git("branch", "-f", "canary", commit);
        fleet.Repository.Git("branch", "-f", "production", commit);
        await fleet.ReconcileAsync("canary");
        await fleet.ReconcileAsync("production");
    }

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task A_scoped_operator_controls_only_its_branches_a_viewer_nothing_and_every_change_is_audited()
    {
        await CreateUserAsync("ops-canary@example.com", "operator", branches: ["canary"]);
        await CreateUserAsync("viewer@example.com", "viewer");
        using (var scopedViewer = await fleet.Admin.PostAsJsonAsync("/api/management/v1/useradm/users", new { email = "x@example.com", password = "long enough", role = "viewer", branches = new[] { "canary" } }))
        {
            scopedViewer.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        using var operatorApi = await ClientAsync("ops-canary@example.com");
        using (var own = await operatorApi.PostAsync("/api/management/v1/gitfleet/branches/canary/rollout/pause", null))
        {
            own.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var other = await operatorApi.PostAsync("/api/management/v1/gitfleet/branches/production/rollout/pause", null))
        {
            other.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await other.Content.ReadAsStringAsync()).ShouldContain("may act on the branches canary only, not production");
        }

        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldNotBe(Core.Rollouts.RolloutPhase.Paused);
        using var viewerApi = await ClientAsync("viewer@example.com");
        using (var viewer = await viewerApi.PostAsync("/api/management/v1/gitfleet/branches/canary/rollout/resume", null))
        {
            viewer.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await viewer.Content.ReadAsStringAsync()).ShouldContain("needs the operator role");
        }

        // The dashboard asks the same questions: the viewer has no buttons, and a posted form is refused.
        using var viewerUi = new DashboardClient(fleet.Server);
        (await viewerUi.LoginAsync("viewer@example.com", "password of viewer@example.com")).Dispose();
        var page = await viewerUi.Http.GetStringAsync("/ui/rollouts/canary");
        page.ShouldNotContain(">Pause</button>");
        page.ShouldContain("You have the viewer role");
        var token = await viewerUi.TokenAsync("/ui/rollouts/canary");
        using (var forged = await viewerUi.PostFormAsync("/ui/rollouts/canary/resume", token))
        {
            forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using var operatorUi = new DashboardClient(fleet.Server);
        (await operatorUi.LoginAsync("ops-canary@example.com", "password of ops-canary@example.com")).Dispose();
        (await operatorUi.Http.GetStringAsync("/ui/rollouts/canary")).ShouldContain(">Resume</button>");
        (await operatorUi.Http.GetStringAsync("/ui/rollouts/production")).ShouldContain("may act on the branches canary only");
        using (var resume = await operatorUi.PostFormAsync("/ui/rollouts/canary/resume", await operatorUi.TokenAsync("/ui/rollouts/canary")))
        {
            resume.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        }

        using (var audit = await viewerUi.Http.GetAsync("/ui/audit"))
        {
            audit.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        var entries = (await fleet.Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/audit?limit=100")).EnumerateArray().ToList();
        var text = string.Join("\n", entries.Select(e => e.GetRawText()));
        text.ShouldNotContain("password of");
        text.ShouldNotContain(TestServer.AdminPassword);
        Entry(entries, "ops-canary@example.com", "api", "/api/management/v1/gitfleet/branches/canary/rollout/pause", 200, "ok").GetProperty("token_kind").GetString().ShouldBe("session");
        Entry(entries, "ops-canary@example.com", "api", "/api/management/v1/gitfleet/branches/production/rollout/pause", 403, "refused").GetProperty("address").GetString().ShouldBe("127.0.0.1");
        Entry(entries, "viewer@example.com", "dashboard", "/ui/rollouts/canary/resume", 403, "refused");
        Entry(entries, "ops-canary@example.com", "dashboard", "/ui/rollouts/canary/resume", 302, "ok");
        Entry(entries, "viewer@example.com", "dashboard", "/ui/login", 302, "ok");
        Entry(entries, "admin", "api", "/api/management/v1/useradm/users", 201, "ok").GetProperty("role").GetString().ShouldBe("admin");
        using (var forViewer = await viewerApi.GetAsync("/api/management/v1/gitfleet/audit"))
        {
            forViewer.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
    }

    private static JsonElement Entry(List<JsonElement> entries, string actor, string via, string target, int status, string result) =>
        entries.FirstOrDefault(e => e.GetProperty("actor").GetString() == actor && e.GetProperty("via").GetString() == via && e.GetProperty("target").GetString() == target
            && e.GetProperty("status").GetInt32() == status && e.GetProperty("result").GetString() == result) is { ValueKind: JsonValueKind.Object } found
            ? found
            : throw new ShouldAssertException($"no audit entry {actor} {via} {target} {status} {result} in:\n" + string.Join("\n", entries.Select(e => e.GetRawText())));

    private async Task CreateUserAsync(string email, string role, string[]? branches = null)
    {
        using var created = await fleet.Admin.PostAsJsonAsync("/api/management/v1/useradm/users", new { email, password = "password of " + email, role, branches });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
    }

    private async Task<HttpClient> ClientAsync(string email)
    {
        var token = await fleet.Server.LoginAsync(email, "password of " + email);
        var client = fleet.Server.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
