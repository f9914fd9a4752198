using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.UserAdm;

public sealed class UserAdmTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Personal_access_tokens_work_until_revoked()
    {
        using var admin = await server.AdminAsync();
        using var created = await admin.PostAsJsonAsync("/api/management/v1/useradm/settings/tokens", new { name = "ci", expires_in = 3600 });
        created.StatusCode.ShouldBe(HttpStatusCode.OK);
        var token = await created.Content.ReadAsStringAsync();

        using var ci = server.Anonymous();
        ci.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await ci.GetAsync("/api/management/v2/devauth/devices")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/useradm/settings/tokens");
        var id = listed.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ci").GetProperty("id").GetString();

        (await admin.DeleteAsync($"/api/management/v1/useradm/settings/tokens/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var revoked = await ci.GetAsync("/api/management/v2/devauth/devices");
        revoked.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await revoked.Content.ReadAsStringAsync()).ShouldContain("revoked");
        (await admin.DeleteAsync($"/api/management/v1/useradm/settings/tokens/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.PostAsJsonAsync("/api/management/v1/useradm/settings/tokens", new { name = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_login_cookie_authenticates_like_the_bearer_token()
    {
        var token = await server.LoginAsync();
        using var browser = server.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/management/v1/useradm/users/me");
        request.Headers.Add("Cookie", "JWT=" + token);
        using var response = await browser.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString().ShouldBe("admin");
    }
}
