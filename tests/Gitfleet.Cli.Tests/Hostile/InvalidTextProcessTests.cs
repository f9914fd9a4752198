using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests.Hostile;

/// <summary>
/// Issue 10, item 3, against the real server process: one device sending invalid text used to make the facts,
/// inventory listing and search answer truncated JSON and stop the git watcher for the whole fleet. Invalid text is
/// now refused at the edge (400 naming the field), so nothing malformed is stored and every reader keeps working.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InvalidTextProcessTests
{
    /// <summary>Bodies with invalid text, as raw bytes: escaped lone surrogates, invalid UTF-8, CESU-8 surrogates, NUL.</summary>
    public static readonly TheoryData<string, byte[]> InvalidInventory = new()
    {
        { "escaped lone high surrogate", Encoding.ASCII.GetBytes("""[{"name":"bad","value":"\ud800"}]""") },
        { "escaped lone low surrogate", Encoding.ASCII.GetBytes("""[{"name":"bad","value":"x\udc00y"}]""") },
        { "reversed surrogate pair", Encoding.ASCII.GetBytes("""[{"name":"bad","value":"\udc00\ud800"}]""") },
        { "lone surrogate in a list value", Encoding.ASCII.GetBytes("""[{"name":"bad","value":["ok","\ud800"]}]""") },
        { "lone surrogate in the name", Encoding.ASCII.GetBytes("""[{"name":"b\ud800d","value":"ok"}]""") },
        { "escaped NUL", Encoding.ASCII.GetBytes("""[{"name":"bad","value":"a\u0000b"}]""") },
        { "raw invalid UTF-8", [.. "[{\"name\":\"bad\",\"value\":\""u8, 0xff, 0xfe, .. "\"}]"u8] },
        { "surrogate encoded as UTF-8 (CESU-8)", [.. "[{\"name\":\"bad\",\"value\":\""u8, 0xed, 0xa0, 0x80, .. "\"}]"u8] },
        { "overlong UTF-8", [.. "[{\"name\":\"bad\",\"value\":\""u8, 0xc0, 0xaf, .. "\"}]"u8] },
    };

    [Fact]
    public async Task A_device_sending_invalid_text_cannot_break_fleet_reads_or_the_git_watcher()
    {
        using var repository = new GitTestRepository();
        await using var server = await ServerProcess.StartWatchingAsync(repository);
        using var device = await server.AcceptedDeviceAsync();
        using (var clean = await device.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes",
                   new[] { new { name = "device_type", value = "raspberrypi4" }, new { name = "artifact_name", value = "release-1" }, new { name = "note", value = "caf\u00e9 \U0001F680" } }))
        {
            clean.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        foreach (var (what, body) in InvalidInventory.Select(row => ((string)row[0], (byte[])row[1])))
        {
            foreach (var method in new[] { HttpMethod.Put, HttpMethod.Patch })
            {
                using var response = await SendRawAsync(device.Http, method, "/api/devices/v1/inventory/device/attributes", body, device.Token!);
                response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{method} inventory with {what}");
                (await response.Content.ReadAsStringAsync()).ShouldContain("$[0]", Case.Sensitive, $"the message names the field ({what})");
            }
        }

        using var admin = server.Admin();
        foreach (var (what, body) in InvalidInventory.Select(row => ((string)row[0], (byte[])row[1])).Where(r => !r.Item1.Contains("list", StringComparison.Ordinal)))
        {
            using var tags = await SendRawAsync(admin, HttpMethod.Put, $"/api/management/v1/inventory/devices/{device.Id}/tags", body, ServerProcess.AdminToken);
            tags.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"tags PUT with {what}");
        }

        server.ShouldBeRunning("after the invalid inventory");

        // Every fleet-wide read is whole, valid JSON that a strict reader can turn into strings.
        await ShouldBeStrictJsonAsync(admin, HttpMethod.Get, "/api/management/v1/gitfleet/facts");
        await ShouldBeStrictJsonAsync(admin, HttpMethod.Get, "/api/management/v1/inventory/devices");
        await ShouldBeStrictJsonAsync(admin, HttpMethod.Post, "/api/management/v2/inventory/filters/search", """{"filters":[{"scope":"inventory","attribute":"note","type":"$exists","value":true}]}""");
        var facts = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/facts");
        var reported = facts.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == device.Id);
        reported.GetProperty("attributes").GetProperty("note").GetString().ShouldBe("caf\u00e9 \U0001F680", "valid non-ASCII text is kept as sent");

        // The git watcher still plans every new commit against those facts.
        repository.Write("inventory.yml", $"all:\n  children:\n    main_devices:\n      vars:\n        subscribed_branch: main\n      hosts:\n        {device.Id}:\n");
        repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: release-1\n");
        var head = repository.Commit("One device on main");
        var status = await server.WaitForBranchAsync("main", s => s.TryGetProperty("applied_commit", out var applied) && applied.GetProperty("sha").GetString() == head);
        ServerProcess.Condition(status, "Stalled").ShouldBeFalse(status.ToString());
        server.ShouldBeRunning("after planning against the device's facts");
        server.Output.ShouldNotContain("Unhandled error", Case.Sensitive, "no request ended in a 500 with a stack trace");
    }

    private static async Task<HttpResponseMessage> SendRawAsync(HttpClient client, HttpMethod method, string path, byte[] body, string token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    /// <summary>The whole answer parses, and every string and property name in it is valid text.</summary>
    private static async Task ShouldBeStrictJsonAsync(HttpClient client, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        StrictJson.Check(await response.Content.ReadAsByteArrayAsync(), path);
    }
}
