using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Deployments;
using Gitfleet.TestSupport.Mender;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.EndToEnd;

/// <summary>
/// The real Debian mender-client 3.4, several daemons at once, each in its own mount namespace, against the server.
/// Skipped with a reason where the harness cannot run (not root, tools missing).
/// </summary>
[Collection("mender-client")]
public sealed class MenderClientTests(MenderFixture fixture) : IClassFixture<MenderFixture>
{
    private const string DeviceType = "gitfleet-e2e";

    [MenderFact]
    public async Task Devices_authorize_on_request_and_by_preauthorization_then_install_an_update_and_report_inventory()
    {
        using var admin = await fixture.Server.AdminAsync();
        using var key = RSA.Create(3072);
        var preauthorized = new MenderDeviceOptions { Name = "pre-" + Suffix(), DeviceType = DeviceType, PrivateKeyPem = key.ExportRSAPrivateKeyPem() };
        (await admin.PostAsJsonAsync("/api/management/v2/devauth/devices", new
        {
            identity_data = new Dictionary<string, string> { ["mac"] = MenderClientHarness.MacFor(preauthorized.Name) },
            pubkey = key.ExportSubjectPublicKeyInfoPem(),
        })).EnsureSuccessStatusCode();
        var devices = await fixture.Harness.StartAsync([
            new MenderDeviceOptions { Name = "a-" + Suffix(), DeviceType = DeviceType, Inventory = new Dictionary<string, string> { ["os"] = "debian" } },
            new MenderDeviceOptions { Name = "b-" + Suffix(), DeviceType = DeviceType },
            preauthorized,
        ]);
        var ids = new List<string>();
        foreach (var device in devices.Take(2))
        {
            var (id, authSet) = await WaitForDeviceAsync(admin, device);
            (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).EnsureSuccessStatusCode();
            ids.Add(id);
        }

        var (preId, _) = await WaitForDeviceAsync(admin, devices[2], "accepted");
        ids.Add(preId);
        foreach (var (device, id) in devices.Zip(ids))
        {
            await WaitForInventoryAsync(admin, device, id, "device_type", DeviceType);
        }

        await UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(fixture.Work.Path, "e2e-2", DeviceType, content: "installed by gitfleet\n"));
        var deployment = await CreateAsync(admin, "e2e-2", ids);
        foreach (var device in devices)
        {
            await device.CheckUpdateAsync();
        }

        await WaitForStatisticsAsync(admin, deployment, "success", 3, devices);
        foreach (var device in devices)
        {
            (await File.ReadAllTextAsync(Path.Combine(device.DestinationDirectory, "hello.txt"))).ShouldBe("installed by gitfleet\n");
        }

        var first = devices[0];
        await first.SendInventoryAsync();
        var attributes = await WaitForInventoryAsync(admin, first, ids[0], "artifact_name", "e2e-2");
        attributes.ShouldContain(a => a.GetProperty("name").GetString() == "os" && a.GetProperty("value").GetString() == "debian");
        var facts = FactsDocument.Parse(await admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts"));
        facts.Devices.Single(d => d.Id == ids[0]).ArtifactName.ShouldBe("e2e-2");

        // The installed artifact again: already-installed, nothing downloaded.
        var again = await CreateAsync(admin, "e2e-2", [ids[0]]);
        await first.CheckUpdateAsync();
        await WaitForStatisticsAsync(admin, again, "already-installed", 1, devices);
    }

    [MenderFact]
    public async Task A_failing_update_module_and_a_wrong_device_type_fail_the_deployment_with_the_reason_in_the_log()
    {
        using var admin = await fixture.Server.AdminAsync();
        var modules = new Dictionary<string, string> { ["gitfleet-fail"] = MenderArtifactTool.FailingModule("gitfleet-fail: the flux capacitor is missing") };
        var devices = await fixture.Harness.StartAsync([
            new MenderDeviceOptions { Name = "fail-" + Suffix(), DeviceType = DeviceType, Modules = modules },
            new MenderDeviceOptions { Name = "other-" + Suffix(), DeviceType = "some-other-board" },
        ]);
        var ids = new List<string>();
        foreach (var device in devices)
        {
            var (id, authSet) = await WaitForDeviceAsync(admin, device);
            (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).EnsureSuccessStatusCode();
            await WaitForInventoryAsync(admin, device, id, "device_type", device.Options.DeviceType);
            ids.Add(id);
        }

        var payload = Path.Combine(fixture.Work.Path, "fail-payload.txt");
        await File.WriteAllTextAsync(payload, "payload\n");
        await UploadAsync(admin, await MenderArtifactTool.WriteModuleAsync(fixture.Work.Path, "e2e-fail", DeviceType, "gitfleet-fail", [payload]));
        var failing = await CreateAsync(admin, "e2e-fail", [ids[0]]);
        await UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(fixture.Work.Path, "e2e-typed", DeviceType));
        var typed = await CreateAsync(admin, "e2e-typed", [ids[1]]);
        foreach (var device in devices)
        {
            await device.CheckUpdateAsync();
        }

        await WaitForStatisticsAsync(admin, failing, "failure", 1, devices);
        var log = await Eventually.WaitAsync(
            async () => (await admin.GetAsync($"/api/management/v1/deployments/deployments/{failing}/devices/{ids[0]}/log")) is { IsSuccessStatusCode: true } r ? await r.Content.ReadAsStringAsync() : "",
            text => text.Length > 0, "the failure log");
        log.ShouldContain("the flux capacitor is missing");
        await WaitForStatisticsAsync(admin, typed, "failure", 1, devices);
        var typedLog = await Eventually.WaitAsync(
            async () => (await admin.GetAsync($"/api/management/v1/deployments/deployments/{typed}/devices/{ids[1]}/log")) is { IsSuccessStatusCode: true } r ? await r.Content.ReadAsStringAsync() : "",
            text => text.Length > 0, "the wrong-type log");
        typedLog.ShouldContain("device type", Case.Insensitive);
    }

    [MenderFact]
    public async Task Aborting_during_an_install_tells_the_client_with_409()
    {
        using var admin = await fixture.Server.AdminAsync();
        var slow = """
            #!/bin/sh
            case "$1" in
              ArtifactInstall) sleep 6 ;;
            esac
            exit 0
            """ + "\n";
        var device = await fixture.Harness.StartAsync(new MenderDeviceOptions { Name = "abort-" + Suffix(), DeviceType = DeviceType, Modules = new Dictionary<string, string> { ["gitfleet-slow"] = slow } });
        var (id, authSet) = await WaitForDeviceAsync(admin, device);
        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).EnsureSuccessStatusCode();
        await WaitForInventoryAsync(admin, device, id, "device_type", DeviceType);
        var payload = Path.Combine(fixture.Work.Path, "slow-payload.txt");
        await File.WriteAllTextAsync(payload, "payload\n");
        await UploadAsync(admin, await MenderArtifactTool.WriteModuleAsync(fixture.Work.Path, "e2e-slow", DeviceType, "gitfleet-slow", [payload]));
        var deployment = await CreateAsync(admin, "e2e-slow", [id]);
        await device.CheckUpdateAsync();
        await WaitForStatisticsAsync(admin, deployment, "installing", 1, [device]);

        (await admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{deployment}/status", new { status = "aborted" })).EnsureSuccessStatusCode();
        await Eventually.WaitAsync(() => Task.FromResult(device.Log), log => log.Contains("aborted", StringComparison.OrdinalIgnoreCase), "the client to learn of the abort",
            TimeSpan.FromSeconds(30), () => device.Log);
        var statistics = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/statistics");
        statistics.GetProperty("aborted").GetInt32().ShouldBe(1);
        statistics.GetProperty("success").GetInt32().ShouldBe(0);
    }

    [MenderFact]
    public async Task A_configuration_deployment_reaches_the_mender_configure_module_with_the_configured_map()
    {
        using var admin = await fixture.Server.AdminAsync();
        // A stand-in for the mender-configure add-on (not packaged in Debian): it saves the artifact's meta-data.
        var configure = $"""
            #!/bin/sh
            case "$1" in
              ArtifactInstall) cp "$2/header/meta-data" {MenderClientHarness.SharedDestination}/configuration.json ;;
            esac
            exit 0
            """ + "\n";
        var device = await fixture.Harness.StartAsync(new MenderDeviceOptions
        {
            Name = "config-" + Suffix(), DeviceType = DeviceType, Modules = new Dictionary<string, string> { ["mender-configure"] = configure },
        });
        var (id, authSet) = await WaitForDeviceAsync(admin, device);
        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).EnsureSuccessStatusCode();
        await WaitForInventoryAsync(admin, device, id, "device_type", DeviceType);
        var configuration = new Dictionary<string, string> { ["kiosk_url"] = "https://example.com/board", ["timezone"] = "Europe/Zurich" };
        (await admin.PutAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{id}", configuration)).EnsureSuccessStatusCode();
        using var deploy = await admin.PostAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{id}/deploy", new { retries = 0 });
        var deployment = (await deploy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString()!;
        await device.CheckUpdateAsync();

        await WaitForStatisticsAsync(admin, deployment, "success", 1, [device]);
        var applied = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Path.Combine(device.DestinationDirectory, "configuration.json")));
        applied.ShouldBe(configuration);
        await WaitForInventoryAsync(admin, device, id, "artifact_name", Gitfleet.Storage.Model.DeploymentKinds.ConfigurationArtifactName(ConfigurationChecksum.Compute(configuration), deployment));
    }

    [MenderFact]
    public async Task An_update_control_map_makes_the_client_download_at_once_and_install_only_when_released()
    {
        using var admin = await fixture.Server.AdminAsync();
        var device = await fixture.Harness.StartAsync(new MenderDeviceOptions { Name = "window-" + Suffix(), DeviceType = DeviceType });
        var (id, authSet) = await WaitForDeviceAsync(admin, device);
        (await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" })).EnsureSuccessStatusCode();
        await WaitForInventoryAsync(admin, device, id, "device_type", DeviceType);
        await UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(fixture.Work.Path, "window-2", DeviceType, content: "installed in the window\n"));

        // The device's window is closed: today and tomorrow are blackout days (server time).
        var today = DateOnly.FromDateTime(fixture.Server.Time.GetUtcNow().UtcDateTime);
        var holds = fixture.Server.Server.Services.GetRequiredService<InstallHolds>();
        holds.PublishTarget("window-test", 1, new Dictionary<string, MaintenanceCalendar> { ["w"] = MaintenanceCalendar.For([], [new BlackoutPeriod(today, today.AddDays(1))]) },
            new Dictionary<string, string> { [id] = "w" });
        try
        {
            var deployment = await CreateAsync(admin, "window-2", [id]);
            await device.CheckUpdateAsync();
            await WaitForStatisticsAsync(admin, deployment, "pause_before_installing", 1, [device]);
            device.Log.ShouldContain("Update Control: Pausing before entering update-install state");
            await Task.Delay(TimeSpan.FromSeconds(device.Options.UpdatePollSeconds * 2 + 1));
            File.Exists(Path.Combine(device.DestinationDirectory, "hello.txt")).ShouldBeFalse("held: it asked for the map again and still waits");
            (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/statistics")).GetProperty("pause_before_installing").GetInt32().ShouldBe(1);

            // The window opens (two days later on the server's clock): the next map request says continue.
            fixture.Server.Time.Advance(TimeSpan.FromDays(2));
            await WaitForStatisticsAsync(admin, deployment, "success", 1, [device]);
            (await File.ReadAllTextAsync(Path.Combine(device.DestinationDirectory, "hello.txt"))).ShouldBe("installed in the window\n");
        }
        finally
        {
            holds.Remove("window-test");
        }
    }

    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private static async Task UploadAsync(HttpClient admin, string path)
    {
        using var response = await Support.TestServer.UploadAsync(admin, path);
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> CreateAsync(HttpClient admin, string artifact, IReadOnlyList<string> devices)
    {
        using var response = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "e2e " + artifact, artifact_name = artifact, devices });
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString().Split('/')[^1];
    }

    private static async Task<(string Id, string AuthSet)> WaitForDeviceAsync(HttpClient admin, MenderDevice device, string status = "pending")
    {
        var mac = device.Identity["mac"];
        var found = await Eventually.WaitAsync(
            async () => (await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500")).EnumerateArray()
                .FirstOrDefault(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == mac && d.GetProperty("status").GetString() == status),
            d => d.ValueKind == JsonValueKind.Object, $"{device.Name} to be {status}", diagnostics: () => device.Log);
        return (found.GetProperty("id").GetString()!, found.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
    }

    private static async Task<List<JsonElement>> WaitForInventoryAsync(HttpClient admin, MenderDevice device, string id, string name, string value) =>
        await Eventually.WaitAsync(
            async () =>
            {
                await device.SendInventoryAsync();
                return (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{id}")).GetProperty("attributes").EnumerateArray().ToList();
            },
            attributes => attributes.Any(a => a.GetProperty("name").GetString() == name && a.GetProperty("value").ValueKind == JsonValueKind.String && a.GetProperty("value").GetString() == value),
            $"{device.Name} to report {name}={value}", diagnostics: () => device.Log);

    private static Task<JsonElement> WaitForStatisticsAsync(HttpClient admin, string deployment, string status, int count, IReadOnlyList<MenderDevice> devices) =>
        Eventually.WaitAsync(
            () => admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deployment}/statistics"),
            s => s.GetProperty(status).GetInt32() >= count, $"{count} device(s) in {status}",
            diagnostics: () => string.Join("\n---\n", devices.Select(d => d.Name + ":\n" + string.Join('\n', d.Log.Split('\n').TakeLast(15)))));
}
