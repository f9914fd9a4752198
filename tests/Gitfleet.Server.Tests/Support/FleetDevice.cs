using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Artifacts;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A simulated device that behaves like mender-client 3.4 with Gitfleet's device package, through the real device
/// protocol: it checks in with its provides, downloads what it is offered, installs it (an OS image changes its
/// rootfs-image.version, a configuration artifact its applied configuration), reports the statuses, a log on
/// failure, its inventory and its applied configuration.
/// </summary>
public sealed class FleetDevice : IDisposable
{
    private (ArtifactInfo Info, string Name) pendingInstall;

    private FleetDevice(SimulatedDevice device, string deviceType, string image)
    {
        Simulated = device;
        DeviceType = deviceType;
        Image = image;
        ArtifactName = image;
    }

    public SimulatedDevice Simulated { get; }

    public string Id => Simulated.Id!;

    public string DeviceType { get; }

    /// <summary>rootfs-image.version: the OS image it runs.</summary>
    public string Image { get; private set; }

    public string ArtifactName { get; private set; }

    /// <summary>The configuration it applied (null: none yet).</summary>
    public IReadOnlyDictionary<string, string>? Configuration { get; private set; }

    /// <summary>Artifacts it fails to install (the update module exits non-zero).</summary>
    public Func<string, bool> Fails { get; set; } = _ => false;

    /// <summary>The error a failing installation logs, for an artifact name.</summary>
    public Func<string, string> FailureMessage { get; set; } = name => $"health check of {name} failed: kiosk did not start";

    /// <summary>Whether it reports rootfs-image.version in its inventory (Debian's client alone does not).</summary>
    public bool ReportsImageInInventory { get; init; } = true;

    /// <summary>Whether it reports gitfleet_delta_formats=xdelta3 in every inventory it sends (the gitfleet-delta module is installed).</summary>
    public bool AppliesDeltas { get; init; }

    /// <summary>Whether it asks for update control maps (Mender 3.x does; 4.x and the v1 endpoints do not).</summary>
    public bool SupportsControlMaps { get; init; } = true;

    /// <summary>A deployment it downloaded and holds before installing, as the control map says (null: none).</summary>
    public string? PausedDeployment { get; private set; }

    /// <summary>What it has reported per deployment, in order (for assertions on the protocol).</summary>
    public List<string> Reports { get; } = [];

    /// <summary>An install that never finishes: it reports installing and then stays silent about the deployment.</summary>
    public Func<string, bool> Hangs { get; set; } = _ => false;

    /// <param name="appliesDeltas">Reports gitfleet_delta_formats=xdelta3, as a device with the gitfleet-delta module does.</param>
    public static async Task<FleetDevice> CreateAsync(TestServer server, string deviceType = "raspberrypi4", string image = "image-1", bool reportsImage = true, bool appliesDeltas = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        var inventory = new Dictionary<string, string>();
        if (reportsImage)
        {
            inventory["rootfs-image.version"] = image;
        }

        if (appliesDeltas)
        {
            inventory["gitfleet_delta_formats"] = "xdelta3";
        }

        var simulated = await server.AcceptedDeviceAsync(deviceType, image, inventory);
        return new FleetDevice(simulated, deviceType, image) { ReportsImageInInventory = reportsImage, AppliesDeltas = appliesDeltas };
    }

    /// <summary>
    /// One check-in; installs what is offered. Returns the offered deployment id, or null (204). Like the 3.4 client, a
    /// device holding a deployment paused by its control map asks for the map instead, and installs once it says go.
    /// </summary>
    public async Task<string?> CheckInAsync()
    {
        if (PausedDeployment is { } paused)
        {
            return await ResumeAsync(paused);
        }

        var provides = new Dictionary<string, string> { ["artifact_name"] = ArtifactName, ["device_type"] = DeviceType, ["rootfs-image.version"] = Image };
        using var next = SupportsControlMaps
            ? await Simulated.SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", new { device_provides = provides, update_control_map = true })
            : await Simulated.SendAsync(HttpMethod.Post, "/api/devices/v1/deployments/device/deployments/next", provides);
        if (next.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        next.StatusCode.ShouldBe(HttpStatusCode.OK, await next.Content.ReadAsStringAsync());
        var offer = await next.Content.ReadFromJsonAsync<JsonElement>();
        var deploymentId = offer.GetProperty("id").GetString()!;
        var name = offer.GetProperty("artifact").GetProperty("artifact_name").GetString()!;
        ArtifactInfo info;
        using (var download = await Simulated.Http.GetAsync(offer.GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString()))
        {
            download.EnsureSuccessStatusCode();
            info = await ArtifactReader.ReadAsync(await download.Content.ReadAsStreamAsync());
        }

        await ReportAsync(deploymentId, "downloading");
        pendingInstall = (info, name);
        if (SupportsControlMaps && offer.TryGetProperty("update_control_map", out _))
        {
            return await ResumeAsync(deploymentId);
        }

        return await InstallAsync(deploymentId);
    }

    /// <summary>Asks for the deployment's control map: pause (report it once, keep waiting), 404 (aborted) or go on and install.</summary>
    private async Task<string?> ResumeAsync(string deploymentId)
    {
        using var map = await Simulated.SendAsync(HttpMethod.Get, $"/api/devices/v2/deployments/device/deployments/{deploymentId}/update_control_map", null);
        if (map.StatusCode == HttpStatusCode.NotFound)
        {
            PausedDeployment = null;
            await ReportAsync(deploymentId, "failure", allowConflict: true);
            return deploymentId;
        }

        map.StatusCode.ShouldBe(HttpStatusCode.OK, await map.Content.ReadAsStringAsync());
        var document = await map.Content.ReadFromJsonAsync<JsonElement>();
        var states = document.GetProperty("update_control_map").GetProperty("states");
        var pause = states.TryGetProperty("ArtifactInstall_Enter", out var install) && install.GetProperty("action").GetString() == "pause";
        if (pause)
        {
            if (PausedDeployment != deploymentId)
            {
                PausedDeployment = deploymentId;
                await ReportAsync(deploymentId, "pause_before_installing");
            }

            return deploymentId;
        }

        PausedDeployment = null;
        return await InstallAsync(deploymentId);
    }

    private async Task<string?> InstallAsync(string deploymentId)
    {
        var (info, name) = pendingInstall;
        await ReportAsync(deploymentId, "installing");
        if (Hangs(name))
        {
            return deploymentId;
        }

        if (Fails(name))
        {
            await ReportAsync(deploymentId, "failure");
            using var log = await Simulated.SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{deploymentId}/log", new
            {
                messages = new[]
                {
                    new { level = "info", message = "Installing artifact...", timestamp = "2026-01-01T12:00:00Z" },
                    new { level = "error", message = FailureMessage(name), timestamp = "2026-01-01T12:00:01Z" },
                },
            });
            log.StatusCode.ShouldBe(HttpStatusCode.NoContent);
            return deploymentId;
        }

        if (info.Payloads[0].Type == "mender-configure")
        {
            Configuration = JsonSerializer.Deserialize<Dictionary<string, string>>(info.Payloads[0].MetaData!);
        }
        else
        {
            Image = info.Provides.GetValueOrDefault("rootfs-image.version") ?? name;
        }

        ArtifactName = name;
        await ReportAsync(deploymentId, "success");
        await SendInventoryAsync();
        if (Configuration is not null)
        {
            using var reported = await Simulated.SendAsync(HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", Configuration);
            reported.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        return deploymentId;
    }

    /// <summary>A check-in through the v1 endpoint (no control maps, as Mender 4.x clients ask): the status only, nothing installed.</summary>
    public async Task<HttpStatusCode> CheckInV1Async()
    {
        using var next = await Simulated.SendAsync(HttpMethod.Post, "/api/devices/v1/deployments/device/deployments/next",
            new Dictionary<string, string> { ["artifact_name"] = ArtifactName, ["device_type"] = DeviceType });
        return next.StatusCode;
    }

    /// <summary>Checks in until nothing is offered; returns the deployments it went through.</summary>
    public async Task<List<string>> ConvergeAsync(int max = 6)
    {
        var handled = new List<string>();
        for (var i = 0; i < max && await CheckInAsync() is { } id; i++)
        {
            handled.Add(id);
        }

        return handled;
    }

    /// <summary>Someone changed the device by hand: it now runs another image (drift).</summary>
    public async Task DriftAsync(string image)
    {
        Image = image;
        ArtifactName = image;
        await SendInventoryAsync();
    }

    /// <summary>Someone changed the device's configuration by hand: it reports another configuration (its artifact name stays).</summary>
    public async Task ChangeConfigurationAsync(IReadOnlyDictionary<string, string> configuration)
    {
        Configuration = configuration;
        using var reported = await Simulated.SendAsync(HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", configuration);
        reported.StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    public void Dispose() => Simulated.Dispose();

    private async Task SendInventoryAsync()
    {
        var attributes = new List<object> { new { name = "device_type", value = DeviceType }, new { name = "artifact_name", value = ArtifactName } };
        if (ReportsImageInInventory)
        {
            attributes.Add(new { name = "rootfs-image.version", value = Image });
        }

        if (AppliesDeltas)
        {
            attributes.Add(new { name = "gitfleet_delta_formats", value = "xdelta3" });
        }

        using var put = await Simulated.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", attributes);
        put.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task ReportAsync(string deploymentId, string status, bool allowConflict = false)
    {
        Reports.Add(status);
        using var response = await Simulated.ReportAsync(deploymentId, status);
        if (allowConflict && response.StatusCode == HttpStatusCode.Conflict)
        {
            return;
        }

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, $"{status}: {await response.Content.ReadAsStringAsync()}");
    }
}
