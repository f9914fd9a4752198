using System.Net;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Dashboard;

/// <summary>The dashboard over plain HTTP: session cookie, CSRF, redirects, secrets, search errors and the 200,000-device-safe search.</summary>
[Trait(PostgresSubset.Trait, PostgresSubset.Value)]
public sealed class DashboardHttpTests : IAsyncLifetime
{
    private ReconcileHarness fleet = null!;
    private List<FleetDevice> devices = [];

    public async Task InitializeAsync()
    {
        fleet = await ReconcileHarness.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            devices.Add(await fleet.DeviceAsync());
        }

        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-1");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("configuration for production"));
        await fleet.ReconcileAsync("production");
        foreach (var device in devices)
        {
            await device.ConvergeAsync();
        }

        await fleet.RunAsync();
    }

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task Pages_need_a_session_and_the_login_sets_an_HttpOnly_Secure_SameSite_cookie()
    {
        using var client = new DashboardClient(fleet.Server);
        using (var page = await client.Http.GetAsync("/ui/devices?q=x"))
        {
            page.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            page.Headers.Location!.ToString().ShouldBe("/ui/login?return=%2Fui%2Fdevices%3Fq%3Dx");
        }

        using (var events = await client.Http.GetAsync("/ui/events/stages"))
        {
            events.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var wrong = await client.LoginAsync(password: "not the password"))
        {
            ((int)wrong.StatusCode).ShouldBe(302, await wrong.Content.ReadAsStringAsync());
            wrong.Headers.Location!.ToString().ShouldStartWith("/ui/login?failed=1");
        }

        using (var login = await client.LoginAsync(returnTo: "https://evil.example/"))
        {
            login.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            login.Headers.Location!.ToString().ShouldBe("/ui/", "a return address outside the dashboard is ignored");
            var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gitfleet_session=", StringComparison.Ordinal));
            cookie.ShouldContain("httponly", Case.Insensitive);
            cookie.ShouldContain("secure", Case.Insensitive);
            cookie.ShouldContain("samesite=strict", Case.Insensitive);
            cookie.ShouldContain("path=/ui", Case.Insensitive);
        }

        using var stages = await client.Http.GetAsync("/ui/");
        stages.StatusCode.ShouldBe(HttpStatusCode.OK);
        stages.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("script-src 'self'");
        (await stages.Content.ReadAsStringAsync()).ShouldContain("data-branch=\"production\"");
    }

    [Fact]
    public async Task Actions_without_the_antiforgery_token_are_refused_and_change_nothing()
    {
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = devices }, "image-1", message: "a second message");
        fleet.Repository.Git("branch", "-f", "production", fleet.Repository.Commit("a second message"));
        await fleet.ReconcileAsync("production");
        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Progressing);
        using var client = new DashboardClient(fleet.Server);
        (await client.LoginAsync()).Dispose();
        using (var forged = await client.PostFormAsync("/ui/rollouts/production/pause", token: null))
        {
            forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await forged.Content.ReadAsStringAsync()).ShouldContain("did not come from this dashboard");
        }

        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldNotBe(RolloutPhase.Paused);

        var token = await client.TokenAsync("/ui/rollouts/production");
        using (var pause = await client.PostFormAsync("/ui/rollouts/production/pause", token))
        {
            pause.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            pause.Headers.Location!.ToString().ShouldBe("/ui/rollouts/production?done=pause");
        }

        (await fleet.StatusAsync("production")).Rollout!.Phase.ShouldBe(RolloutPhase.Paused);
        using var unknown = await client.PostFormAsync("/ui/rollouts/nope/pause", token);
        unknown.Headers.Location!.ToString().ShouldStartWith("/ui/rollouts/nope?error=");
    }

    [Fact]
    public async Task The_device_page_shows_desired_and_reported_configuration_with_secrets_hidden_and_the_history_traced_to_the_commit()
    {
        using var client = new DashboardClient(fleet.Server);
        (await client.LoginAsync()).Dispose();
        var html = await client.Http.GetStringAsync($"/ui/devices/{devices[0].Id}");
        html.ShouldNotContain(ReconcileHarness.AppToken);
        html.ShouldContain("app_token");
        html.ShouldContain("***");
        html.ShouldContain("hello", customMessage: "the desired and reported message value");
        var commit = fleet.Repository.Git("rev-parse", "production").Trim();
        html.ShouldContain(commit[..12], customMessage: "history entries name their commit");
        html.ShouldContain("configuration for production");
        html.ShouldContain("<span class=\"state success\">success</span>", customMessage: "a history entry's status as Mender spells it");

        using var missing = await client.Http.GetAsync("/ui/devices/no-such-device");
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).ShouldContain("No such device");
    }

    [Fact]
    public async Task The_device_search_filters_by_branch_status_attribute_and_explains_a_bad_query()
    {
        using var client = new DashboardClient(fleet.Server);
        (await client.LoginAsync()).Dispose();
        var all = await client.Http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString("branch:production status:accepted"));
        all.ShouldContain("3 devices match");
        foreach (var device in devices)
        {
            all.ShouldContain(device.Id[..13]);
        }

        var everything = await client.Http.GetStringAsync("/ui/devices");
        everything.ShouldContain("3 devices", customMessage: "every device, counted exactly from the registry");
        everything.ShouldContain("accepted 3", customMessage: "devices per status");
        everything.ShouldNotContain("rel=\"next\"", customMessage: "one page holds them all");

        var branch = await client.Http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString("branch:production"));
        branch.ShouldContain("3 devices match", customMessage: "a branch alone is counted from its target in memory");

        var none = await client.Http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString("branch:canary"));
        none.ShouldContain("0 devices match");
        var byMac = await client.Http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString(devices[1].Simulated.Mac));
        byMac.ShouldContain("1 device match");
        byMac.ShouldContain(devices[1].Id[..13]);
        var bad = await client.Http.GetStringAsync("/ui/devices?q=" + Uri.EscapeDataString("status:sleeping"));
        bad.ShouldContain("status is one of accepted, pending, preauthorized, rejected, not &#x27;sleeping&#x27;");
        var many = string.Join(' ', Enumerable.Range(0, 600).Select(i => $"k{i}=v"));
        using var tooMany = await client.Http.GetAsync("/ui/devices?q=" + Uri.EscapeDataString(many));
        tooMany.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, "a search of hundreds of joins is refused with a message");
        (await tooMany.Content.ReadAsStringAsync()).ShouldContain("at most 16 name=value filters in one search (600 given)");
    }
}
