using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Delivery;
using Gitfleet.TestSupport.Device;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.EndToEnd.Tests.Support;

/// <summary>
/// Narrowband delivery with real parts: the Gitfleet server in-process with downloads offloaded to Debian's nginx
/// (the documented configuration, signed links), and real mender-client daemons with the device package, each
/// provisioned running an ext4 image in its gitfleet-ab slot a (as if installed from that image's full artifact).
/// Deployments go through Mender's management API. Waits are bounded and fail with every device's client log,
/// the deployments and nginx's requests.
/// </summary>
public sealed class DeliveryFleet : IAsyncDisposable
{
    public const string AdminToken = "delivery-admin-token-0123456789abcdef";
    public const string DeviceType = "kiosk-x86";
    private const string Secret = "delivery-download-secret-0123456789";

    private readonly TempDirectory work = new("gitfleet-delivery");
    private readonly List<LiveDevice> devices = [];
    private NginxServer? nginx;
    private GitfleetServer? server;

    public GitfleetServer Server => server!;

    public NginxServer Nginx => nginx!;

    public HttpClient Admin { get; private set; } = null!;

    public string WorkDirectory => work.Path;

    public static async Task<DeliveryFleet> StartAsync()
    {
        var fleet = new DeliveryFleet();
        try
        {
            var data = fleet.work.Combine("server");
            fleet.nginx = await NginxServer.StartAsync(Path.Combine(data, "artifacts"), Secret);
            fleet.server = await GitfleetServer.StartAsync(new ServerOptions
            {
                DataDirectory = data,
                Urls = ["https://127.0.0.1:0"],
                AdminToken = AdminToken,
                AdminPassword = "delivery admin password",
                ConsoleLogging = false,
                CheckInFlushInterval = TimeSpan.FromMilliseconds(200),
                Secrets = _ => null,
                Delivery = new Server.Delivery.DeliveryOptions { DownloadBaseUrl = fleet.nginx.BaseUrl, DownloadSecret = Secret },
            });
            fleet.Admin = new HttpClient(PinnedCertificate.Handler(fleet.server.CertificatePath!)) { BaseAddress = fleet.server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
            fleet.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a daemon provisioned as running <paramref name="image"/> (its image file in slot a).</summary>
    public async Task<LiveDevice> AddDeviceAsync(string name, string image, string imageFile, bool deltaModule)
    {
        var device = await LiveDevice.StartAsync(name, "none", new MenderClientOptions
        {
            ProvisionedImage = image,
            DeviceType = DeviceType,
            Server = Server.BaseUri,
            ServerCertificate = Server.CertificatePath,
            Identity = new Dictionary<string, string> { ["mac"] = MenderClientHarness.MacFor(name) },
            DeltaModule = deltaModule,
            UpdatePollSeconds = 2,
            InventoryPollSeconds = 3,
            RetryPollSeconds = 2,
        }, sandbox =>
        {
            Directory.CreateDirectory(Path.Combine(sandbox.AbRoot, "a", "rootfs"));
            File.Copy(imageFile, Path.Combine(sandbox.AbRoot, "a", "rootfs", OsImages.ImageFile));
            File.WriteAllText(Path.Combine(sandbox.AbRoot, "a", "image"), image + "\n");
            File.CreateSymbolicLink(Path.Combine(sandbox.AbRoot, "active"), "a");
        });
        devices.Add(device);
        return device;
    }

    public async Task UploadAsync(string artifactPath)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("release"), "description" },
            { new StringContent(new FileInfo(artifactPath).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
        };
        var file = new StreamContent(File.OpenRead(artifactPath));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "artifact", Path.GetFileName(artifactPath));
        using var response = await Admin.PostAsync("/api/management/v1/deployments/artifacts", form);
        response.IsSuccessStatusCode.ShouldBeTrue($"upload of {artifactPath}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Accepts each device's pending auth set and waits until its inventory names its image (and delta support, when asked).</summary>
    public async Task AdmitAsync(LiveDevice device, bool announcesDeltas, TimeSpan limit)
    {
        (string Id, string AuthSet)? pending = null;
        await EventuallyAsync($"{device.Name} asking to join", async () =>
        {
            foreach (var entry in (await Admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500")).EnumerateArray())
            {
                if (entry.GetProperty("identity_data").GetProperty("mac").GetString() == device.Mac)
                {
                    pending = (entry.GetProperty("id").GetString()!, entry.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
                }
            }

            return pending is not null;
        }, limit);
        device.Id = pending!.Value.Id;
        using (var accepted = await Admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{device.Id}/auth/{pending.Value.AuthSet}/status", new { status = "accepted" }))
        {
            accepted.IsSuccessStatusCode.ShouldBeTrue(await accepted.Content.ReadAsStringAsync());
        }

        await EventuallyAsync($"{device.Name}'s inventory", async () =>
        {
            var inventory = await InventoryAsync(device);
            return inventory.ContainsKey("rootfs-image.version") && inventory.ContainsKey("gitfleet_delta_formats") == announcesDeltas;
        }, limit);
    }

    public async Task<IReadOnlyDictionary<string, string>> InventoryAsync(LiveDevice device)
    {
        var shape = await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in shape.GetProperty("attributes").EnumerateArray())
        {
            var value = attribute.GetProperty("value");
            attributes[attribute.GetProperty("name").GetString()!] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        }

        return attributes;
    }

    /// <summary>Deploys <paramref name="artifact"/> to the devices; returns the deployment id.</summary>
    public async Task<string> DeployAsync(string artifact, params LiveDevice[] targets)
    {
        using var created = await Admin.PostAsJsonAsync("/api/management/v1/deployments/deployments",
            new { name = artifact, artifact_name = artifact, devices = targets.Select(d => d.Id).ToArray() });
        created.IsSuccessStatusCode.ShouldBeTrue(await created.Content.ReadAsStringAsync());
        return created.Headers.Location!.ToString().Split('/')[^1];
    }

    /// <summary>Asks the server to generate the delta between two releases now (POST /api/management/v1/gitfleet/deltas).</summary>
    public async Task PrepareDeltaAsync(string from, string to)
    {
        using var response = await Admin.PostAsJsonAsync("/api/management/v1/gitfleet/deltas", new { from, to, device_type = DeviceType });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until the device's part of the deployment finished; returns its status.</summary>
    public async Task<string> AwaitFinishedAsync(string deploymentId, LiveDevice device, TimeSpan limit)
    {
        var status = "";
        await EventuallyAsync($"{device.Name} finishing deployment {deploymentId}", async () =>
        {
            device.CheckForUpdate();
            foreach (var row in (await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}/devices")).EnumerateArray())
            {
                if (row.GetProperty("id").GetString() == device.Id)
                {
                    status = row.GetProperty("status").GetString()!;
                }
            }

            return status is "success" or "failure" or "noartifact" or "aborted" or "already-installed";
        }, limit);
        return status;
    }

    public Task<string> LogAsync(string deploymentId, LiveDevice device) =>
        Admin.GetStringAsync($"/api/management/v1/deployments/deployments/{deploymentId}/devices/{device.Id}/log");

    public async Task<JsonElement> AwaitDeltaAsync(string from, string to, TimeSpan limit)
    {
        JsonElement found = default;
        await EventuallyAsync($"delta {from} -> {to} ready", async () =>
        {
            foreach (var delta in (await Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/deltas")).EnumerateArray())
            {
                if (delta.GetProperty("from").GetString() == from && delta.GetProperty("to").GetString() == to && delta.GetProperty("state").GetString() == "ready")
                {
                    found = delta;
                    return true;
                }
            }

            return false;
        }, limit);
        return found;
    }

    /// <summary>The files nginx served (full artifacts and deltas), in order, with their status and bytes.</summary>
    public IReadOnlyList<(string File, int Status, long Bytes)> Downloads() =>
        Nginx.Requests().Select(r => (r.Path.Split('?')[0].Replace("/gitfleet/", "", StringComparison.Ordinal), r.Status, r.Bytes)).ToList();

    public Task EventuallyAsync(string what, Func<Task<bool>> condition, TimeSpan limit) =>
        Poll.UntilAsync(what, condition, limit, DiagnosticsAsync);

    public async Task<string> DiagnosticsAsync()
    {
        var text = new StringBuilder();
        try
        {
            foreach (var deployment in (await Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=20")).EnumerateArray())
            {
                text.AppendLine($"deployment {deployment.GetRawText()}");
            }

            text.AppendLine($"deltas {await Admin.GetStringAsync("/api/management/v1/gitfleet/deltas")}");
        }
        catch (HttpRequestException e)
        {
            text.AppendLine($"server: {e.Message}");
        }

        text.AppendLine("nginx: " + string.Join(", ", Downloads().Select(d => $"{d.File} {d.Status} {d.Bytes}")));
        foreach (var device in devices)
        {
            text.AppendLine(device.LogTail(60));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in devices)
        {
            device.Dispose();
        }

        Admin?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        nginx?.Dispose();
        work.Dispose();
    }
}
