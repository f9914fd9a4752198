using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.DeviceAuth;

/// <summary>
/// Issue 10, item 7: unauthenticated auth requests that would create devices or auth sets are throttled per source
/// address, per identity and server-wide (429 with Retry-After); known devices with their known keys never are.
/// </summary>
public sealed class AuthRateLimitTests
{
    [Fact]
    public async Task One_key_signing_fresh_identities_is_throttled_while_known_devices_keep_authenticating()
    {
        await using var server = await StartAsync(o => o);
        using var accepted = await server.AcceptedDeviceAsync();
        using var admin = await server.AdminAsync();
        using var preauthorized = new SimulatedDevice(server.Anonymous(), ecdsa: true);
        (await admin.PostAsJsonAsync("/api/management/v2/devauth/devices",
            new { identity_data = new Dictionary<string, string> { ["mac"] = preauthorized.Mac }, pubkey = preauthorized.PublicKeyPem })).StatusCode.ShouldBe(HttpStatusCode.Created);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = server.Anonymous();
        var clock = Stopwatch.StartNew();
        var refused = new List<HttpResponseMessage>();
        for (var i = 0; i < 150; i++)
        {
            var response = await AuthAsync(http, key, $"fresh-{i:D4}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused.Add(response);
            }
            else
            {
                response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a new device is pending");
                response.Dispose();
            }

            if (i == 100)
            {
                // Mid-flood, a known device renews its token and a preauthorized one authenticates for the first time.
                (await accepted.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
                await preauthorized.AuthenticateAsync();
            }
        }

        var pending = await PendingCountAsync(admin);
        var refill = (int)Math.Ceiling(clock.Elapsed.TotalSeconds) + 1;
        // The burst is 60 new devices per address, refilled at one a second; the accepted device took one when it
        // first registered from the same address, and the flood may finish within a second (no refill yet).
        pending.ShouldBeInRange(59, 60 + refill, "the default burst is 60 new devices per address, refilled at one a second");
        refused.Count.ShouldBe(150 - pending);
        var first = refused[0];
        first.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        var error = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;
        error.ShouldStartWith("too many auth requests for new devices or keys from 127.0.0.1");
        refused.ForEach(r => r.Dispose());

        (await accepted.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent, "accepted devices are not slowed");
        (await preauthorized.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task One_identity_with_ever_new_keys_is_throttled_per_identity()
    {
        await using var server = await StartAsync(o => o with { AuthRequestsPerIdentityPerMinute = 5 });
        using var http = server.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var response = await AuthAsync(http, key, "one-identity");
            statuses.Add(response.StatusCode);
        }

        statuses.Count(s => s == HttpStatusCode.Unauthorized).ShouldBe(5);
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).ShouldBe(3);
        using var admin = await server.AdminAsync();
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?status=pending");
        devices.GetArrayLength().ShouldBe(1);
        devices[0].GetProperty("auth_sets").GetArrayLength().ShouldBe(5);
    }

    [Fact]
    public async Task The_server_wide_cap_on_new_pending_devices_holds_across_addresses()
    {
        await using var server = await StartAsync(o => o with { AuthRequestsPerAddressPerMinute = 0, NewDevicesPerMinute = 4 });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = server.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await AuthAsync(http, key, $"capped-{i}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                (await response.Content.ReadAsStringAsync()).ShouldContain("no more new pending devices");
            }
        }

        statuses.ShouldBe([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests]);
        using var admin = await server.AdminAsync();
        (await PendingCountAsync(admin)).ShouldBe(4);
    }

    [Fact]
    public async Task Login_attempts_are_limited_per_address()
    {
        await using var server = await StartAsync(o => o with { LoginsPerAddressPerMinute = 3 });
        for (var i = 0; i < 3; i++)
        {
            await server.LoginAsync();
        }

        using var client = server.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{TestServer.AdminPassword}")));
        using var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter.ShouldNotBeNull();
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!.ShouldStartWith("too many login attempts");
    }

    private static async Task<OwnedServer> StartAsync(Func<ServerOptions, ServerOptions> configure)
    {
        var server = new OwnedServer(configure);
        await server.InitializeAsync();
        return server;
    }

    /// <summary>A signed auth request for an identity of our choosing (any key signs any identity: that is the attack).</summary>
    private static async Task<HttpResponseMessage> AuthAsync(HttpClient http, ECDsa key, string mac)
    {
        var idData = JsonSerializer.Serialize(new Dictionary<string, string> { ["mac"] = mac });
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id_data = idData, tenant_token = "", pubkey = key.ExportSubjectPublicKeyInfoPem() }) + "\n");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-MEN-Signature", Convert.ToBase64String(key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        return await http.SendAsync(request);
    }

    private static async Task<int> PendingCountAsync(HttpClient admin) =>
        (int)(await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices/count?status=pending")).GetProperty("count").GetInt64();

    /// <summary>A test server owned by one test (its own limits), disposed with it.</summary>
    private sealed class OwnedServer(Func<ServerOptions, ServerOptions> configure) : IAsyncDisposable
    {
        private readonly TestServer inner = new() { Configure = configure };

        public Task InitializeAsync() => inner.InitializeAsync();

        public HttpClient Anonymous() => inner.Anonymous();

        public Task<HttpClient> AdminAsync() => inner.AdminAsync();

        public Task<string> LoginAsync() => inner.LoginAsync();

        public Task<SimulatedDevice> AcceptedDeviceAsync() => inner.AcceptedDeviceAsync();

        public async ValueTask DisposeAsync() => await inner.DisposeAsync();
    }
}
