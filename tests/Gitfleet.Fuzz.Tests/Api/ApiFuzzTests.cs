using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gitfleet.Fuzz.Tests.Api;

/// <summary>
/// Every route of a real server (device and management API, downloads, webhooks), called with generated JSON bodies,
/// raw bytes and query strings: never a 5xx, every JSON answer is valid JSON of valid text, a refused write leaves the
/// device as it was (nothing half-stored), the server's memory stays bounded, and afterwards every fleet-wide read
/// still works.
/// </summary>
public sealed partial class ApiFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Keys =
    [
        "name", "value", "status", "substate", "id_data", "pubkey", "tenant_token", "device_provides", "artifact_name", "device_type",
        "rootfs-image.version", "messages", "level", "message", "timestamp", "filters", "scope", "attribute", "type", "group", "devices",
        "all_devices", "retries", "trace", "branch", "commit", "expires_in", "role", "identity_data", "page", "per_page", "id", "ref",
        "schema", "configurations", "policy", "kiosk_url", "",
    ];

    private static readonly string[] Texts =
    [
        "", "x", "accepted", "rejected", "pending", "success", "failure", "downloading", "aborted", "$eq", "$in", "$exists", "inventory", "tags",
        "identity", "main", "raspberrypi4", "release-1", "viewer", "operator", "admin", "refs/heads/main", "caf\u00e9", "\U0001F680",
        "\\ud800", "\\udc00x", "\\u0000", "\\\"", "\\\\", "\\n", new string('y', 300), "{\\\"mac\\\":\\\"\\\\ud800\\\"}", "{\\\"mac\\\":\\\"02:00\\\"}",
        "-----BEGIN PUBLIC KEY-----", "%ED%A0%80", "../..", "null",
    ];

    private static readonly Gen<string> Text = Gen.Int[0, Texts.Length - 1].Select(i => "\"" + Texts[i] + "\"");

    private static readonly string[] Literals = ["0", "-1", "1", "1000001", "99999999999999999999", "1e999", "-0", "0.5", "true", "false", "null"];

    private static readonly Gen<string> Scalar = Gen.OneOf(Text, Gen.Int[0, Literals.Length - 1].Select(i => Literals[i]));

    /// <summary>JSON values of depth up to about eight: objects with plausible keys, arrays, scalars.</summary>
    private static readonly Gen<string> Json = Gen.Recursive<string>((depth, inner) => depth >= 8
        ? Scalar
        : Gen.Frequency(
            (4, Scalar),
            (3, Gen.Select(Gen.Int[0, Keys.Length - 1], inner).Array[0, 6].Select(members => "{" + string.Join(",", members.Select(m => $"\"{Keys[m.Item1]}\":{m.Item2}")) + "}")),
            (2, inner.Array[0, 6].Select(items => "[" + string.Join(",", items) + "]"))));

    /// <summary>A request body: JSON, JSON broken at a random place, raw invalid UTF-8, a deeply nested value, or nothing.</summary>
    private static readonly Gen<byte[]?> Body = Gen.Frequency(
        (10, Json.Select(j => (byte[]?)Encoding.UTF8.GetBytes(j))),
        (2, Gen.Select(Json, Gen.Double[0, 1]).Select((j, cut) => (byte[]?)Encoding.UTF8.GetBytes(j[..(int)(cut * j.Length)]))),
        (1, Gen.Select(Json, Gen.Byte.Array[1, 4]).Select((j, junk) => (byte[]?)[.. Encoding.UTF8.GetBytes(j[..(j.Length / 2)]), .. junk, .. Encoding.UTF8.GetBytes(j[(j.Length / 2)..])])),
        (1, Gen.Int[30, 3000].Select(depth => (byte[]?)Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)))),
        (1, Gen.Const((byte[]?)null)));

    private static readonly string[] QueryKeys = ["page", "per_page", "status", "group", "has_group", "name", "soak", "min_success", "commit", "artifact_name", "device_type", "x"];

    private static readonly string[] QueryValues = ["1", "0", "-1", "500", "501", "99999999999", "1e999", "NaN", "true", "maybe", "10m", "366d", "%ED%A0%80", "%00", "%C3%A9", "%FF", "a+b", "", "accepted"];

    private static readonly Gen<string> Query = Gen.Select(Gen.Int[0, QueryKeys.Length - 1], Gen.Int[0, QueryValues.Length - 1]).Array[0, 3]
        .Select(pairs => pairs.Length == 0 ? "" : "?" + string.Join("&", pairs.Select(p => $"{QueryKeys[p.Item1]}={QueryValues[p.Item2]}")));

    [Fact]
    public async Task No_request_gets_a_5xx_or_invalid_json_or_half_stores_anything()
    {
        var server = new TestServer { Configure = o => o with { LoginsPerAddressPerMinute = 0 } };
        await server.InitializeAsync();
        try
        {
            using var device = await server.AcceptedDeviceAsync();
            using var admin = server.Anonymous();
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminToken);
            using var anonymous = server.Anonymous();
            var routes = server.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Pattern: e.RoutePattern.RawText ?? "")))
                .Where(r => r.Pattern.StartsWith('/') && !r.Pattern.Contains("{**", StringComparison.Ordinal))
                .Distinct()
                .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
                .ToArray();
            routes.Length.ShouldBeGreaterThan(60);
            GC.Collect();
            var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            var requests = 0;
            var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
            var covered = new System.Collections.Concurrent.ConcurrentDictionary<int, byte>();

            await Gen.Select(Gen.Int[0, routes.Length - 1], Body, Query, Gen.Int[0, 3]).SampleAsync(async sample =>
            {
                var (routeIndex, body, query, idChoice) = sample;
                var (method, pattern) = routes[routeIndex];
                var path = Fill(pattern, method, idChoice, device.Id!) + query;
                var client = pattern.StartsWith("/api/devices", StringComparison.Ordinal) ? device.Http
                    : pattern.StartsWith("/api/management", StringComparison.Ordinal) ? admin
                    : anonymous;
                var watched = WritesTheDevice(method, path, device.Id!);
                if (watched)
                {
                    // An earlier check-in's provides are written later by design (the flusher): not this request's change.
                    await server.FlushDeferredWritesAsync();
                }

                var before = watched ? await FingerprintAsync(admin, device.Id!) : null;

                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (client == device.Http)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
                }

                if (body is not null && method is not ("GET" or "HEAD" or "DELETE"))
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                using var response = await client.SendAsync(request);
                Interlocked.Increment(ref requests);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                covered[routeIndex] = 0;
                var answer = await response.Content.ReadAsByteArrayAsync();
                var what = $"{method} {path} with {(body is null ? "no body" : Encoding.UTF8.GetString(body))}";
                ((int)response.StatusCode).ShouldBeLessThan(500, $"{what}: {Encoding.UTF8.GetString(answer)}");
                if (response.Content.Headers.ContentType?.MediaType == "application/json" && answer.Length > 0)
                {
                    StrictJson.Check(answer, what);
                }

                if (before is not null && !response.IsSuccessStatusCode)
                {
                    await server.FlushDeferredWritesAsync(); // a refused check-in must not have deposited provides either
                    (await FingerprintAsync(admin, device.Id!)).ShouldBe(before, $"{what} was refused ({(int)response.StatusCode}) but changed the device");
                }
            }, seed: FuzzTime.Seed, time: FuzzTime.Seconds(30), iter: 1_000_000, threads: 1);

            output.WriteLine($"{requests} requests over {covered.Count} of {routes.Length} routes; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
            requests.ShouldBeGreaterThan(200);
            foreach (var read in new[] { "/api/management/v1/gitfleet/facts", "/api/management/v1/inventory/devices?per_page=500", "/api/management/v2/devauth/devices?per_page=500", "/api/management/v1/deployments/deployments" })
            {
                using var response = await admin.GetAsync(read);
                response.StatusCode.ShouldBe(HttpStatusCode.OK, read);
                StrictJson.Check(await response.Content.ReadAsByteArrayAsync(), read);
            }

            GC.Collect();
            (GC.GetTotalMemory(forceFullCollection: true) - memoryBefore).ShouldBeLessThan(256L * 1024 * 1024, "the server's memory stays bounded");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Route parameters: the fuzz device's id where a request may use it, else odd or unknown values.</summary>
    private static string Fill(string pattern, string method, int choice, string deviceId)
    {
        // Decommissioning, rejecting or deleting the device would end the run's device requests: those get other ids.
        var mayUseDevice = method != "DELETE" && !pattern.Contains("/devauth/", StringComparison.Ordinal);
        return Parameter().Replace(pattern, match => match.Groups[1].Value switch
        {
            "id" or "deviceId" when choice == 0 && mayUseDevice => deviceId,
            "branch" => choice switch { 0 => "main", 1 => "a..b", 2 => "%2Fetc", _ => "production" },
            _ => choice switch { 0 or 1 => Guid.NewGuid().ToString(), 2 => "%ED%A0%80", _ => "x" },
        });
    }

    private static bool WritesTheDevice(string method, string path, string deviceId) =>
        method is "PUT" or "PATCH" or "POST"
        && (path.StartsWith("/api/devices/v1/inventory", StringComparison.Ordinal)
            || path.StartsWith("/api/devices/v1/deviceconfig", StringComparison.Ordinal)
            || path.Contains(deviceId, StringComparison.Ordinal));

    /// <summary>What a refused request must not change: the device's inventory, tags and group, and its configuration.</summary>
    private static async Task<string> FingerprintAsync(HttpClient admin, string deviceId)
    {
        var inventory = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{deviceId}");
        var attributes = inventory.GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("name").GetString() is not ("updated_ts" or "check_in_time"))
            .Select(a => a.GetRawText()).Order(StringComparer.Ordinal);
        using var configuration = await admin.GetAsync($"/api/management/v1/deviceconfig/configurations/device/{deviceId}");
        var configured = configuration.IsSuccessStatusCode ? await configuration.Content.ReadAsStringAsync() : "none";
        return string.Join('\n', attributes) + "\n" + Regex.Replace(configured, "\"(updated_ts|reported_ts)\":\"[^\"]*\"", "");
    }

    [GeneratedRegex(@"\{([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}
