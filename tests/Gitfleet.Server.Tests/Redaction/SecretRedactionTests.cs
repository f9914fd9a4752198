using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.Redaction;

/// <summary>
/// Issue 10, item 9: a template value that comes from a secret (the server's APP_TOKEN through {{env}}) reaches the
/// devices, their reported configuration and a device's failure log, and no management read shows it: every GET
/// route of the management API (and the two searches) is called with every id it can take, and each answer is
/// searched for the secret.
/// </summary>
public sealed partial class SecretRedactionTests
{
    [Fact]
    public async Task No_management_read_shows_a_secret_value()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var device = await fleet.DeviceAsync();
        using var failing = await fleet.DeviceAsync();
        failing.Fails = name => name.StartsWith("configuration-", StringComparison.Ordinal);
        failing.FailureMessage = name => $"mender-configure: apply of {name} failed: the server refused app_token={ReconcileHarness.AppToken}";
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device, failing] }, "image-2");
        fleet.Repository.Commit("image-2 and a configuration with a secret on main");
        await fleet.ReconcileAsync("main");
        await device.ConvergeAsync();
        await failing.ConvergeAsync();
        await fleet.RunAsync();
        device.Configuration!["app_token"].ShouldBe(ReconcileHarness.AppToken, "the device gets the real secret");

        // The secret is stored: as the device's configured and reported configuration, and in the failing device's log.
        var admin = fleet.Admin;
        var ids = await IdsAsync(admin, [device, failing]);
        var routes = fleet.Server.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/management", StringComparison.Ordinal) == true
                && e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => e.RoutePattern.RawText!)
            .ToList();
        var answered = 0;
        foreach (var route in routes)
        {
            foreach (var path in Expand(route, ids))
            {
                using var response = await admin.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                ((int)response.StatusCode).ShouldBeLessThan(500, $"GET {path}: {body}");
                body.ShouldNotContain(ReconcileHarness.AppToken, Case.Sensitive, $"GET {path} shows the secret");
                answered += response.IsSuccessStatusCode ? 1 : 0;
            }
        }

        answered.ShouldBeGreaterThan(40, "most routes answered with content");
        foreach (var (path, json) in new[]
        {
            ("/api/management/v2/inventory/filters/search", "{}"),
            ("/api/management/v2/devauth/devices/search", "{}"),
        })
        {
            using var response = await admin.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).ShouldNotContain(ReconcileHarness.AppToken);
        }

        // What the reads show instead: *** for the secret key, and the checksum that lets a planner holding the secret compare.
        var configuration = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deviceconfig/configurations/device/{device.Id}");
        configuration.GetProperty("reported").GetProperty("app_token").GetString().ShouldBe("***");
        configuration.GetProperty("reported").GetProperty("message").GetString().ShouldBe("hello");
        var facts = FactsDocument.Parse(await admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts"));
        var deviceFacts = facts.Devices.Single(d => d.Id == device.Id);
        deviceFacts.ReportedConfiguration!["app_token"].ShouldBe("***");
        deviceFacts.ReportedConfigurationChecksum.ShouldBe(ConfigurationChecksum.Compute(device.Configuration!));
        var log = await admin.GetStringAsync($"/api/management/v1/deployments/deployments/{ids["deployment"].First(id => DeploymentHasLog(id, ids))}/devices/{failing.Id}/log");
        log.ShouldContain("app_token=***");
    }

    private static bool DeploymentHasLog(string deployment, Dictionary<string, List<string>> ids) => ids["logged"].Contains(deployment);

    /// <summary>Every id a route parameter can take: devices, auth sets, deployments, artifacts (generated ones too), branches.</summary>
    private static async Task<Dictionary<string, List<string>>> IdsAsync(HttpClient admin, IReadOnlyList<FleetDevice> devices)
    {
        var deviceIds = devices.Select(d => d.Id).ToList();
        var authSets = new List<string>();
        foreach (var id in deviceIds)
        {
            var device = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v2/devauth/devices/{id}");
            authSets.AddRange(device.GetProperty("auth_sets").EnumerateArray().Select(a => a.GetProperty("id").GetString()!));
        }

        var deployments = (await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=500")).EnumerateArray()
            .Select(d => d.GetProperty("id").GetString()!).ToList();
        var logged = new List<string>();
        var artifacts = new List<string>();
        foreach (var deployment in deployments)
        {
            var shown = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}");
            if (shown.TryGetProperty("artifacts", out var list))
            {
                artifacts.AddRange(list.EnumerateArray().Select(a => a.GetString()!));
            }

            var rows = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/devices");
            if (rows.EnumerateArray().Any(r => r.TryGetProperty("log", out var hasLog) && hasLog.GetBoolean()))
            {
                logged.Add(deployment);
            }
        }

        artifacts.AddRange((await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts")).EnumerateArray().Select(a => a.GetProperty("id").GetString()!));
        logged.ShouldNotBeEmpty("the failing device sent a log");
        return new Dictionary<string, List<string>>(StringComparer.Ordinal)
        {
            ["id"] = [.. deviceIds, .. deployments, .. artifacts.Distinct()],
            ["deviceId"] = deviceIds,
            ["authId"] = authSets,
            ["branch"] = ["main", "canary"],
            ["name"] = ["main_devices", "none"],
            ["deployment"] = deployments,
            ["logged"] = logged,
        };
    }

    /// <summary>The route with its parameters replaced by every combination of known ids.</summary>
    private static IEnumerable<string> Expand(string route, Dictionary<string, List<string>> ids)
    {
        var match = Parameter().Match(route);
        if (!match.Success)
        {
            yield return route;
            yield break;
        }

        var name = match.Groups[1].Value;
        foreach (var value in ids.GetValueOrDefault(name) ?? ["unknown"])
        {
            foreach (var expanded in Expand(route[..match.Index] + Uri.EscapeDataString(value) + route[(match.Index + match.Length)..], ids))
            {
                yield return expanded;
            }
        }
    }

    [GeneratedRegex(@"\{([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}
