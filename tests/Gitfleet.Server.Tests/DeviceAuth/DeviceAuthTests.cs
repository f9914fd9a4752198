using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.DeviceAuth;

[Trait(PostgresSubset.Trait, PostgresSubset.Value)]
public sealed class DeviceAuthTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task A_new_device_is_pending_and_gets_401_until_accepted_then_a_token()
    {
        using var device = new SimulatedDevice(server.Anonymous());
        using (var pending = await device.RequestAuthAsync())
        {
            pending.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await pending.Content.ReadAsStringAsync()).ShouldContain("pending");
        }

        using var admin = await server.AdminAsync();
        var (id, authSet) = await TestServer.FindDeviceAsync(admin, device);
        var listed = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v2/devauth/devices/{id}");
        listed.GetProperty("status").GetString().ShouldBe("pending");
        listed.GetProperty("auth_sets")[0].GetProperty("pubkey").GetString()!.ShouldContain("BEGIN PUBLIC KEY");

        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var token = await device.AuthenticateAsync();
        token.Split('.').Length.ShouldBe(3);
        using var next = await device.NextAsync();
        next.StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Rejecting_an_accepted_device_revokes_its_token_at_once()
    {
        using var device = await server.AcceptedDeviceAsync();
        using var admin = await server.AdminAsync();
        var (id, authSet) = await TestServer.FindDeviceAsync(admin, device);
        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "rejected" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var next = await device.NextAsync();
        next.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var again = await device.RequestAuthAsync();
        again.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Decommissioning_removes_the_device_and_its_access()
    {
        using var device = await server.AcceptedDeviceAsync();
        using var admin = await server.AdminAsync();
        (await admin.DeleteAsync($"/api/management/v2/devauth/devices/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await admin.GetAsync($"/api/management/v2/devauth/devices/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/api/management/v2/devauth/devices/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_preauthorized_device_is_accepted_on_its_first_request()
    {
        using var device = new SimulatedDevice(server.Anonymous(), ecdsa: true);
        using var admin = await server.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/management/v2/devauth/devices",
            new { identity_data = new Dictionary<string, string> { ["mac"] = device.Mac }, pubkey = device.PublicKeyPem });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync("/api/management/v2/devauth/devices",
            new { identity_data = new Dictionary<string, string> { ["mac"] = device.Mac }, pubkey = device.PublicKeyPem })).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        await device.AuthenticateAsync();
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var count = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices/count?status=accepted");
        count.GetProperty("count").GetInt64().ShouldBeGreaterThanOrEqualTo(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ed25519_device_keys_authenticate_and_a_forged_signature_is_refused(bool forge)
    {
        using var device = new SimulatedDevice(server.Anonymous(), ed25519: true);
        using var admin = await server.AdminAsync();
        (await admin.PostAsJsonAsync("/api/management/v2/devauth/devices",
            new { identity_data = new Dictionary<string, string> { ["mac"] = device.Mac }, pubkey = device.PublicKeyPem })).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var response = await device.RequestAuthAsync(forge ? body => [.. body[..^1], (byte)' ', (byte)'\n'] : null);
        response.StatusCode.ShouldBe(forge ? HttpStatusCode.Unauthorized : HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_signature_over_other_bytes_is_refused()
    {
        using var device = new SimulatedDevice(server.Anonymous());
        using var response = await device.RequestAuthAsync(body => [.. body[..^1], (byte)' ', (byte)'\n']);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).ShouldContain("signature verification failed");
        using var admin = await server.AdminAsync();
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500");
        devices.EnumerateArray().ShouldNotContain(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == device.Mac);
    }

    [Fact]
    public async Task Device_and_user_tokens_cannot_cross_apis()
    {
        using var device = await server.AcceptedDeviceAsync();
        using (var asManagement = await device.SendAsync(HttpMethod.Get, "/api/management/v2/devauth/devices"))
        {
            asManagement.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await asManagement.Content.ReadAsStringAsync()).ShouldContain("device token cannot call the management API");
        }

        var userToken = await server.LoginAsync();
        using var asDevice = await device.SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", new { device_provides = new { } }, userToken);
        asDevice.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var staticToken = await device.SendAsync(HttpMethod.Get, "/api/devices/v1/deployments/device/deployments/next", token: TestServer.AdminToken);
        staticToken.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_with_a_changed_payload_is_refused()
    {
        using var device = await server.AcceptedDeviceAsync();
        var parts = device.Token!.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        var forged = payload.Replace(device.Id!, Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var token = $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(forged))}.{parts[2]}";
        using var response = await device.SendAsync(HttpMethod.Get, "/api/devices/v1/deployments/device/deployments/next", token: token);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
