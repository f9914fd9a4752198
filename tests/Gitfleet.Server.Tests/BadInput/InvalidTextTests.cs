using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Gitfleet.Server.Tests.BadInput;

/// <summary>
/// Issue 10, item 4: text that is not well-formed Unicode (lone surrogates, invalid UTF-8, NUL) is a 400 naming the
/// field on every endpoint that reads text, device and management side, authenticated or not; never a 500, never stored.
/// </summary>
public sealed class InvalidTextTests(TestServer server) : IClassFixture<TestServer>
{
    /// <summary>A JSON string body (ASCII) with <c>VALUE</c> replaced by each kind of invalid text, as raw bytes.</summary>
    public static TheoryData<string> Kinds => new() { "lone-surrogate", "lone-low-surrogate", "invalid-utf8", "nul" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Device_endpoints_refuse_invalid_text_with_a_400_naming_the_field(string kind)
    {
        using var device = await server.AcceptedDeviceAsync();
        var cases = new (HttpMethod Method, string Path, string Body, string Field)[]
        {
            (HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", """[{"name":"a","value":"VALUE"}]""", "$[0].value"),
            (HttpMethod.Patch, "/api/devices/v1/inventory/device/attributes", """[{"name":"VALUE","value":"x"}]""", "$[0]"),
            (HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", """{"device_provides":{"device_type":"raspberrypi4","artifact_name":"VALUE"}}""", "$.device_provides.artifact_name"),
            (HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", """{"device_provides":{"rootfs-image.version":"VALUE"}}""", "$.device_provides.rootfs-image.version"),
            (HttpMethod.Post, "/api/devices/v1/deployments/device/deployments/next", """{"device_type":"raspberrypi4","artifact_name":"VALUE"}""", "$.artifact_name"),
            (HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", """{"timezone":"VALUE"}""", "$.timezone"),
            (HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{Guid.NewGuid()}/status", """{"status":"downloading","substate":"VALUE"}""", "$.substate"),
            (HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{Guid.NewGuid()}/log", """{"messages":[{"level":"info","message":"VALUE","timestamp":"2026-01-01T00:00:00Z"}]}""", "$.messages[0].message"),
        };
        foreach (var (method, path, body, field) in cases)
        {
            using var response = await SendAsync(device.Http, method, path, Body(body, kind), device.Token!);
            await ShouldBeRefusedAsync(response, field, $"{method} {path}");
        }

        using var admin = await server.AdminAsync();
        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        inventory.GetProperty("attributes").EnumerateArray().ShouldNotContain(a => a.GetProperty("name").GetString() == "a", "nothing of a refused request is stored");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Management_endpoints_refuse_invalid_text_with_a_400_naming_the_field(string kind)
    {
        using var device = await server.AcceptedDeviceAsync();
        using var admin = await server.AdminAsync();
        var cases = new (HttpMethod Method, string Path, string Body, string Field)[]
        {
            (HttpMethod.Put, $"/api/management/v1/inventory/devices/{device.Id}/tags", """[{"name":"t","value":"VALUE"}]""", "$[0].value"),
            (HttpMethod.Patch, $"/api/management/v1/inventory/devices/{device.Id}/tags", """[{"name":"VALUE","value":"x"}]""", "$[0]"),
            (HttpMethod.Put, $"/api/management/v1/deviceconfig/configurations/device/{device.Id}", """{"VALUE":"x"}""", "$"),
            (HttpMethod.Put, $"/api/management/v1/deviceconfig/configurations/device/{device.Id}", """{"kiosk_url":"VALUE"}""", "$.kiosk_url"),
            (HttpMethod.Post, "/api/management/v2/inventory/filters/search", """{"filters":[{"scope":"inventory","attribute":"a","type":"$eq","value":"VALUE"}]}""", "$.filters[0].value"),
            (HttpMethod.Post, "/api/management/v1/deployments/deployments", """{"name":"VALUE","artifact_name":"x","devices":["d"]}""", "$.name"),
            (HttpMethod.Post, "/api/management/v2/devauth/devices", """{"identity_data":{"mac":"VALUE"},"pubkey":"x"}""", "$.identity_data.mac"),
            (HttpMethod.Post, "/api/management/v1/useradm/settings/tokens", """{"name":"VALUE"}""", "$.name"),
        };
        foreach (var (method, path, body, field) in cases)
        {
            using var response = await SendAsync(admin, method, path, Body(body, kind), null);
            await ShouldBeRefusedAsync(response, field, $"{method} {path}");
        }

        var configuration = await admin.GetAsync($"/api/management/v1/deviceconfig/configurations/device/{device.Id}");
        configuration.StatusCode.ShouldBe(HttpStatusCode.NotFound, "nothing of a refused configuration is stored");
    }

    [Theory]
    [InlineData("""{"id_data":"{\"mac\":\"\\ud800\"}","pubkey":"k","tenant_token":""}""", "id_data")]
    [InlineData("""{"id_data":"{\"mac\":\"a\\u0000\"}","pubkey":"k","tenant_token":""}""", "id_data")]
    [InlineData("""{"id_data":"{\"\\udc00\":\"x\"}","pubkey":"k","tenant_token":""}""", "id_data")]
    [InlineData("""{"id_data":"{\"mac\":\"x\"}","pubkey":"k","tenant_token":"\ud800"}""", "$.tenant_token")]
    [InlineData("""{"id_data":"\udfff","pubkey":"k"}""", "$.id_data")]
    public async Task An_unauthenticated_auth_request_with_invalid_identity_text_is_a_400(string body, string field)
    {
        using var anonymous = server.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests") { Content = new ByteArrayContent(Encoding.ASCII.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-MEN-Signature", Convert.ToBase64String(new byte[64]));
        using var response = await anonymous.SendAsync(request);
        await ShouldBeRefusedAsync(response, field, "auth request");
    }

    [Theory]
    [InlineData("/api/management/v1/deployments/artifacts?name=%ED%A0%80")]
    [InlineData("/api/management/v1/deployments/artifacts?name=%00")]
    [InlineData("/api/management/v1/inventory/devices?group=%C0%AF")]
    [InlineData("/api/management/v1/gitfleet/branches/main/gate?soak=%ED%A0%80")]
    [InlineData("/api/management/v1/inventory/devices/%ED%A0%80")]
    public async Task Invalid_text_in_the_query_or_path_is_never_a_500(string path)
    {
        using var admin = await server.AdminAsync();
        using var response = await admin.GetAsync(path);
        ((int)response.StatusCode).ShouldBeInRange(400, 499, path);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Rows_stored_before_the_edge_check_are_mended_by_a_migration()
    {
        var before = new TestServer();
        await before.InitializeAsync();
        try
        {
            using var device = await before.AcceptedDeviceAsync();
            await before.Server.StopAsync();

            // What the server kept before text was checked: raw JSON with lone surrogate and NUL escapes, migration 3 not applied yet.
            using (var connection = new SqliteConnection($"Data Source={Path.Combine(before.DataDirectory, "gitfleet.db")};Pooling=false"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = """
                    INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES ($id, 'inventory', 'bad', '"x\ud800y"', 0);
                    INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES ($id, 'tags', 'nul', '["a\u0000","\udc00"]', 0);
                    INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES ($id, 'inventory', 'emoji', '"\ud83d\ude80 \\ud800"', 0);
                    INSERT INTO configurations (device_id, reported_json, reported_ms) VALUES ($id, '{"k":"\udfff"}', 0);
                    DELETE FROM schema_migrations WHERE version = 3;
                    """;
                command.Parameters.AddWithValue("$id", device.Id);
                command.ExecuteNonQuery();
            }

            await before.RestartAsync();
            using var admin = await before.AdminAsync();
            var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
            string Value(string name) => inventory.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("name").GetString() == name).GetProperty("value").GetRawText();
            JsonSerializer.Deserialize<string>(Value("bad")).ShouldBe("x\ufffdy");
            JsonSerializer.Deserialize<string[]>(Value("nul")).ShouldBe(["a\ufffd", "\ufffd"]);
            JsonSerializer.Deserialize<string>(Value("emoji")).ShouldBe("\U0001F680 \\ud800", "a valid pair and an escaped backslash are kept");
            using var facts = await admin.GetAsync("/api/management/v1/gitfleet/facts");
            using var document = JsonDocument.Parse(await facts.Content.ReadAsByteArrayAsync());
            var configuration = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deviceconfig/configurations/device/{device.Id}");
            configuration.GetProperty("reported").GetProperty("k").GetString().ShouldBe("\ufffd");
        }
        finally
        {
            await before.DisposeAsync();
        }
    }

    private static byte[] Body(string template, string kind)
    {
        var at = template.IndexOf("VALUE", StringComparison.Ordinal);
        byte[] bad = kind switch
        {
            "lone-surrogate" => "x\\ud800"u8.ToArray(),
            "lone-low-surrogate" => "\\udc00y"u8.ToArray(),
            "invalid-utf8" => [0x78, 0xff, 0xfe],
            _ => "a\\u0000"u8.ToArray(),
        };
        return [.. Encoding.UTF8.GetBytes(template[..at]), .. bad, .. Encoding.UTF8.GetBytes(template[(at + 5)..])];
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, byte[] body, string? token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    private static async Task ShouldBeRefusedAsync(HttpResponseMessage response, string field, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{what}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        error.ShouldContain("text", Case.Sensitive, what);
        error.ShouldContain(field, Case.Sensitive, what);
    }
}
