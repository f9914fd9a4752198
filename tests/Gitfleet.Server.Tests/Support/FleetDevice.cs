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
        return new FleetDevice(simulated, deviceType, image) { ReportsImageInInventory = reportsImage };
    }

    /// <summary>One check-in; installs what is offered. Returns the offered deployment id, or null (204).</summary>
    public async Task<string?> CheckInAsync()
    {
        using var next = await Simulated.SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", new
        {
            device_provides = new Dictionary<string, string> { ["artifact_name"] = ArtifactName, ["device_type"] = DeviceType, ["rootfs-image.version"] = Image },
            update_control_map = true,
        });
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
        await ReportAsync(deploymentId, "installing");
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

        using var put = await Simulated.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", attributes);
        put.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task ReportAsync(string deploymentId, string status)
    {
        using var response = await Simulated.ReportAsync(deploymentId, status);
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, $"{status}: {await response.Content.ReadAsStringAsync()}");
    }
}
