using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.BadInput;

/// <summary>One test per class of bad input: a 4xx with a JSON message, never a 500, nothing stored.</summary>
public sealed class BadInputTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-artifacts");

    [Theory]
    [InlineData("POST", "/api/management/v1/deployments/deployments", "{\"name\": ")]
    [InlineData("PUT", "/api/management/v1/inventory/devices/x/tags", "[{\"name\":}]")]
    [InlineData("POST", "/api/management/v2/devauth/devices", "not json")]
    [InlineData("POST", "/api/management/v2/inventory/filters/search", "{\"filters\": 5}")]
    public async Task Malformed_json_is_a_400_with_a_message(string method, string path, string body)
    {
        using var admin = await server.AdminAsync();
        using var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await ShouldBeJsonErrorAsync(response);
    }

    [Fact]
    public async Task Malformed_json_from_a_device_is_a_400()
    {
        using var device = await server.AcceptedDeviceAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes") { Content = new StringContent("[{", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", device.Token);
        using var response = await device.Http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await ShouldBeJsonErrorAsync(response);
    }

    [Fact]
    public async Task An_oversized_body_is_a_413()
    {
        using var admin = await server.AdminAsync();
        // Over the 1 MiB JSON limit, under the transport limit (so the server drains the rest and the client sees the answer).
        var big = "{\"name\":\"" + new string('x', 1536 * 1024) + "\"}";
        using var response = await admin.PostAsync("/api/management/v1/deployments/deployments", new StringContent(big, Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        await ShouldBeJsonErrorAsync(response);
    }

    [Theory]
    [InlineData("/api/management/v2/devauth/devices/00000000-0000-0000-0000-000000000000")]
    [InlineData("/api/management/v1/inventory/devices/nope")]
    [InlineData("/api/management/v1/deployments/deployments/nope")]
    [InlineData("/api/management/v1/deployments/deployments/nope/statistics")]
    [InlineData("/api/management/v1/deployments/artifacts/nope")]
    [InlineData("/api/management/v1/deviceconfig/configurations/device/nope")]
    [InlineData("/api/management/v1/no/such/endpoint")]
    public async Task Unknown_ids_are_a_404_with_a_message(string path)
    {
        using var admin = await server.AdminAsync();
        using var response = await admin.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await ShouldBeJsonErrorAsync(response);
    }

    [Fact]
    public async Task A_deployment_naming_one_unknown_device_is_refused_whole()
    {
        using var admin = await server.AdminAsync();
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "partial-1", "raspberrypi4"))).EnsureSuccessStatusCode();
        using var device = await server.AcceptedDeviceAsync();
        var missing = Guid.NewGuid().ToString();
        using var response = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "x", artifact_name = "partial-1", devices = new[] { device.Id, missing } });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(missing);
        (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/devices/{device.Id}")).GetArrayLength().ShouldBe(0);
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var noArtifact = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "x", artifact_name = "no-such-artifact", devices = new[] { device.Id } });
        noArtifact.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        using var noName = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { artifact_name = "partial-1", devices = new[] { device.Id } });
        noName.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noName.Content.ReadAsStringAsync()).ShouldContain("name is required");
    }

    [Fact]
    public async Task Wrong_states_and_values_are_refused()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{device.Id}/auth/x/status", new { status = "sideways" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await device.ReportAsync(Guid.NewGuid().ToString(), "success")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await device.ReportAsync(Guid.NewGuid().ToString(), "exploded")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync("/api/management/v2/devauth/devices?status=sideways")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync("/api/management/v1/inventory/devices?per_page=100000")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{Guid.NewGuid()}/status", new { status = "paused" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("soak=99999999999d", "soak is longer than the maximum duration of 365d")]
    [InlineData("soak=10675199d", "soak is longer than the maximum duration of 365d")]
    [InlineData("soak=366d", "soak is longer than the maximum duration of 365d")]
    [InlineData("soak=1e9s", "soak must be a duration such as 30s, 10m, 1h30m or 2d")]
    [InlineData("min_success=1e999", "min_success must be a percentage from 0 to 100")]
    [InlineData("min_success=NaN", "min_success must be a percentage from 0 to 100")]
    public async Task Out_of_range_gate_parameters_are_a_400_not_a_500(string query, string message)
    {
        using var admin = await server.AdminAsync();
        using var response = await admin.GetAsync($"/api/management/v1/gitfleet/branches/production/gate?{query}");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString().ShouldStartWith(message);
    }

    [Fact]
    public async Task Requests_without_or_with_a_bad_token_are_a_401()
    {
        using var anonymous = server.Anonymous();
        (await anonymous.GetAsync("/api/management/v1/deployments/deployments")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/devices/v2/deployments/device/deployments/next", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        using var response = await anonymous.GetAsync("/api/management/v1/deployments/deployments");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await ShouldBeJsonErrorAsync(response);
        (await server.Anonymous().PostAsync("/api/management/v1/useradm/auth/login", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    public void Dispose() => work.Dispose();

    private static async Task ShouldBeJsonErrorAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("error").GetString()!.Length.ShouldBeGreaterThan(3);
        body.GetProperty("request_id").GetString().ShouldNotBeNullOrEmpty();
        body.GetProperty("error").GetString()!.ShouldNotContain("   at ");
    }
}
