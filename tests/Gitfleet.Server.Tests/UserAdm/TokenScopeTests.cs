using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.UserAdm;

/// <summary>
/// Issue 10, item 8: logout revokes the session token, a token cannot mint one that outlives it or has a wider role,
/// and the viewer, operator and admin roles are enforced on every management route by one policy.
/// </summary>
public sealed class TokenScopeTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Tokens = "/api/management/v1/useradm/settings/tokens";

    [Fact]
    public async Task Logout_revokes_the_session_token_for_good()
    {
        var session = await server.LoginAsync();
        using var client = WithToken(session);
        (await client.GetAsync("/api/management/v1/useradm/users/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        using (var logout = await client.PostAsync("/api/management/v1/useradm/auth/logout", null))
        {
            logout.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        using var after = await client.GetAsync("/api/management/v1/useradm/users/me");
        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await after.Content.ReadAsStringAsync()).ShouldContain("session ended");

        var other = await server.LoginAsync();
        using var fresh = WithToken(other);
        (await fresh.GetAsync("/api/management/v1/useradm/users/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "logging out ends that session only");

        await server.RestartAsync();
        using var afterRestart = server.Anonymous();
        afterRestart.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session);
        (await afterRestart.GetAsync("/api/management/v1/useradm/users/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the revocation is stored");
    }

    [Fact]
    public async Task A_token_cannot_mint_one_that_outlives_it()
    {
        using var admin = await server.AdminAsync();
        using (var tooLong = await admin.PostAsJsonAsync(Tokens, new { name = "year", expires_in = 31_536_000 }))
        {
            tooLong.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "a 7-day login session cannot make a 1-year token");
            (await tooLong.Content.ReadAsStringAsync()).ShouldContain("would outlive the token making the request");
        }

        var hour = await CreateAsync(admin, "hour", expiresIn: 3600);
        using var fromHour = WithToken(hour);
        using (var year = await fromHour.PostAsJsonAsync(Tokens, new { name = "year", expires_in = 31_536_000 }))
        {
            year.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        var child = await CreateAsync(fromHour, "child");
        var listed = await admin.GetFromJsonAsync<JsonElement>(Tokens);
        DateTimeOffset Expiry(string name) => listed.EnumerateArray().Single(t => t.GetProperty("name").GetString() == name).GetProperty("expiration_date").GetDateTimeOffset();
        Expiry("child").ShouldBeLessThanOrEqualTo(Expiry("hour"), "without expires_in the new token ends when its maker does");
        using var fromChild = WithToken(child);
        (await fromChild.GetAsync("/api/management/v1/deployments/deployments")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Viewers_read_operators_run_the_fleet_admins_change_it()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        using var pending = new SimulatedDevice(server.Anonymous(), ecdsa: true);
        (await pending.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var (pendingId, pendingAuthSet) = await TestServer.FindDeviceAsync(admin, pending);
        using var viewer = WithToken(await CreateAsync(admin, "viewer", role: "viewer"));
        using var @operator = WithToken(await CreateAsync(admin, "operator", role: "operator"));

        foreach (var client in new[] { viewer, @operator })
        {
            (await client.GetAsync("/api/management/v1/inventory/devices")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await client.GetAsync("/api/management/v1/gitfleet/facts")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await client.PostAsJsonAsync("/api/management/v2/inventory/filters/search", new { filters = Array.Empty<object>() })).StatusCode.ShouldBe(HttpStatusCode.OK, "a search is a read");
            (await client.PostAsJsonAsync("/api/management/v2/devauth/devices/search", new { status = "accepted" })).StatusCode.ShouldBe(HttpStatusCode.OK);
            await ShouldBeForbiddenAsync(await client.PutAsJsonAsync($"/api/management/v1/inventory/devices/{device.Id}/tags", new[] { new { name = "t", value = "x" } }), "admin");
            await ShouldBeForbiddenAsync(await client.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "x", artifact_name = "x", devices = new[] { device.Id } }), "admin");
            await ShouldBeForbiddenAsync(await client.PostAsync("/api/management/v1/gitfleet/branches/main/target", JsonContent.Create(new { })), "admin");
            await ShouldBeForbiddenAsync(await client.DeleteAsync($"/api/management/v2/devauth/devices/{device.Id}"), "admin");
            await ShouldBeForbiddenAsync(await client.PostAsJsonAsync(Tokens, new { name = "wider", role = "admin" }), null);
        }

        await ShouldBeForbiddenAsync(await viewer.PostAsync("/api/management/v1/gitfleet/branches/main/rollout/pause", null), "operator");
        await ShouldBeForbiddenAsync(await viewer.PutAsJsonAsync($"/api/management/v2/devauth/devices/{pendingId}/auth/{pendingAuthSet}/status", new { status = "accepted" }), "operator");
        (await @operator.PostAsync("/api/management/v1/gitfleet/branches/main/rollout/pause", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound, "allowed; the branch is not reconciled here");
        (await @operator.PutAsJsonAsync($"/api/management/v2/devauth/devices/{pendingId}/auth/{pendingAuthSet}/status", new { status = "accepted" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await CreateAsync(@operator, "narrower", role: "viewer")).ShouldNotBeNullOrEmpty();
        (await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/useradm/users/me")).GetProperty("role").GetString().ShouldBe("admin");
        (await viewer.GetFromJsonAsync<JsonElement>("/api/management/v1/useradm/users/me")).GetProperty("role").GetString().ShouldBe("viewer");
    }

    [Fact]
    public void Every_management_route_is_under_the_role_policy_or_explicitly_anonymous()
    {
        var endpoints = server.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/management", StringComparison.Ordinal) == true)
            .ToList();
        endpoints.Count.ShouldBeGreaterThan(50);
        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText).ToList();
        anonymous.ShouldBe(["/api/management/v1/useradm/auth/login", "/api/management/v1/gitfleet/info"], ignoreOrder: true);
        foreach (var endpoint in endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ShouldContain(ManagementAuthorization.Policy, endpoint.DisplayName);
        }
    }

    private HttpClient WithToken(string token)
    {
        var client = server.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> CreateAsync(HttpClient client, string name, long? expiresIn = null, string? role = null)
    {
        using var response = await client.PostAsJsonAsync(Tokens, new { name, expires_in = expiresIn, role });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return text;
    }

    private static async Task ShouldBeForbiddenAsync(HttpResponseMessage response, string? neededRole)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}: {text}");
            var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
            if (neededRole is not null)
            {
                error.ShouldEndWith($"it needs the {neededRole} role");
            }
        }
    }
}
