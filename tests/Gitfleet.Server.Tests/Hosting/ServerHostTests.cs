using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Server.Tests.Hosting;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServerHostTests
{
    [Fact]
    public async Task First_start_generates_a_certificate_keys_and_an_admin_password_shown_once()
    {
        using var data = new TempDirectory("gitfleet-host");
        var options = new ServerOptions { DataDirectory = data.Path, Urls = ["https://127.0.0.1:0"], ConsoleLogging = false };
        string password;
        await using (var server = await GitfleetServer.StartAsync(options))
        {
            password = server.GeneratedAdminPassword.ShouldNotBeNull();
            server.BaseUri.Port.ShouldBeGreaterThan(0);
            var pem = await File.ReadAllTextAsync(server.CertificatePath!);
            pem.ShouldContain("BEGIN CERTIFICATE");
            pem.ShouldNotContain("PRIVATE KEY");
            using var certificate = X509Certificate2.CreateFromPem(pem);
            var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            names.EnumerateDnsNames().ShouldContain("localhost");
            names.EnumerateIPAddresses().ShouldContain(IPAddress.Loopback);
            File.GetUnixFileMode(Path.Combine(data.Path, "tls", "server.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(Path.Combine(data.Path, "keys", "token-signing.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Exists(Path.Combine(data.Path, "gitfleet.db")).ShouldBeTrue();
        }

        await using var again = await GitfleetServer.StartAsync(options);
        again.GeneratedAdminPassword.ShouldBeNull();
        var fixture = new TestServerClient(again);
        (await fixture.LoginStatusAsync("admin", password)).ShouldBe(HttpStatusCode.OK);
        (await fixture.LoginStatusAsync("admin", "wrong")).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Plain_http_can_be_served_and_the_info_metrics_and_openapi_documents_are_there()
    {
        using var data = new TempDirectory("gitfleet-host");
        await using var server = await GitfleetServer.StartAsync(new ServerOptions
        {
            DataDirectory = data.Path, Urls = ["http://127.0.0.1:0"], ConsoleLogging = false, AdminToken = "static-token-0123456789abcdef",
        });
        server.CertificatePath.ShouldBeNull();
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        var info = await http.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/info");
        info.GetProperty("name").GetString().ShouldBe("gitfleet");
        info.GetProperty("features").EnumerateArray().Select(f => f.GetString()).ShouldBe(["facts", "idempotency-key", "trace", "branches", "rollouts", "webhooks", "roles", "deltas"]);
        (await http.GetAsync("/api/devices/v2/deployments/device/deployments/next")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var metrics = await http.GetStringAsync("/metrics");
        metrics.ShouldContain("# TYPE gitfleet_request_duration_seconds histogram");
        metrics.ShouldContain("gitfleet_request_duration_seconds_count{api=\"device\"} 1");
        metrics.ShouldContain("gitfleet_checkins_total{outcome=\"nothing\"}");
        var openapi = await http.GetFromJsonAsync<JsonElement>("/api/openapi.json");
        openapi.GetProperty("paths").TryGetProperty("/api/devices/v2/deployments/device/deployments/next", out _).ShouldBeTrue();

        http.DefaultRequestHeaders.Authorization = new("Bearer", "static-token-0123456789abcdef");
        (await http.GetAsync("/api/management/v2/devauth/devices")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_restart_keeps_devices_pending_deployments_and_check_ins()
    {
        var server = new TestServer();
        await server.InitializeAsync();
        try
        {
            using var admin = await server.AdminAsync();
            using var device = await server.AcceptedDeviceAsync();
            await ArtifactsForRestart.UploadAsync(admin, "restart-1");
            (await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "r", artifact_name = "restart-1", devices = new[] { device.Id } })).EnsureSuccessStatusCode();

            await server.RestartAsync();
            using var http = server.Anonymous();
            using var reconnected = new SimulatedDeviceView(http, device.Token!);
            (await reconnected.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
            using var admin2 = await server.AdminAsync();
            var inventory = await admin2.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
            inventory.GetProperty("attributes").EnumerateArray().ShouldContain(a => a.GetProperty("name").GetString() == "check_in_time");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void Settings_come_from_flags_then_environment_then_the_config_file()
    {
        using var dir = new TempDirectory("gitfleet-settings");
        var file = dir.Write("gitfleet.json", """{ "data": "/from/file", "urls": ["https://127.0.0.1:1"], "device_token_lifetime": "2d", "admin_token": "file-token" }""");
        var environment = new Dictionary<string, string> { ["GITFLEET_URLS"] = "https://127.0.0.1:2,http://127.0.0.1:3", ["GITFLEET_ADMIN_TOKEN"] = "env-token" };
        var options = ServerSettings.Load(new Dictionary<string, string> { ["data"] = "/from/flag" }, environment.GetValueOrDefault, file);
        options.DataDirectory.ShouldBe("/from/flag");
        options.Urls.ShouldBe(["https://127.0.0.1:2", "http://127.0.0.1:3"]);
        options.AdminToken.ShouldBe("env-token");
        options.DeviceTokenLifetime.ShouldBe(TimeSpan.FromDays(2));

        var unknown = dir.Write("bad.json", """{ "data": "/x", "colour": "blue" }""");
        Should.Throw<ServerSettingsException>(() => ServerSettings.Load(new Dictionary<string, string>(), _ => null, unknown)).Message.ShouldContain("unknown setting 'colour'");
        var badDuration = dir.Write("bad2.json", """{ "data": "/x", "download_link_lifetime": "soon" }""");
        Should.Throw<ServerSettingsException>(() => ServerSettings.Load(new Dictionary<string, string>(), _ => null, badDuration)).Message.ShouldContain("not a duration");
        Should.Throw<ServerSettingsException>(() => ServerSettings.Load(new Dictionary<string, string>(), _ => null, null)).Message.ShouldContain("--data");
    }

    private sealed class TestServerClient(GitfleetServer server)
    {
        public async Task<HttpStatusCode> LoginStatusAsync(string user, string password)
        {
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            using var http = new HttpClient(handler) { BaseAddress = server.BaseUri };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                response.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("JWT=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
            }

            return response.StatusCode;
        }
    }

    private sealed class SimulatedDeviceView(HttpClient http, string token) : IDisposable
    {
        public Task<HttpResponseMessage> NextAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next")
            {
                Content = JsonContent.Create(new { device_provides = new { artifact_name = "release-1", device_type = "raspberrypi4" } }),
            };
            request.Headers.Authorization = new("Bearer", token);
            return http.SendAsync(request);
        }

        public void Dispose() => http.Dispose();
    }

    private static class ArtifactsForRestart
    {
        public static async Task UploadAsync(HttpClient admin, string name)
        {
            using var work = new TempDirectory("gitfleet-artifacts");
            var path = await Gitfleet.TestSupport.Mender.MenderArtifactTool.WriteSingleFileAsync(work.Path, name, "raspberrypi4");
            (await TestServer.UploadAsync(admin, path)).EnsureSuccessStatusCode();
        }
    }
}
