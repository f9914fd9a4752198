using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Artifacts;
using Gitfleet.Server.Hosting;
using Gitfleet.Simulator.Protocol;
using Gitfleet.TestSupport;

namespace Gitfleet.Simulator.Tests.Support;

/// <summary>
/// The real Gitfleet server in-process on https://127.0.0.1:0 (fresh data dir, system clock), a management client
/// with the static admin token, and the management calls the tests need. Tests share one server per class and keep
/// apart by giving their simulators distinct identity prefixes.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string AdminToken = "simulator-tests-admin-token-0123456789";
    private readonly TempDirectory data = new("gitfleet-sim");
    private GitfleetServer? server;
    private HttpClient? admin;

    public GitfleetServer Server => server ?? throw new InvalidOperationException("not started");

    public HttpClient Admin => admin ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        server = await GitfleetServer.StartAsync(new ServerOptions
        {
            DataDirectory = data.Path,
            Urls = ["https://127.0.0.1:0"],
            AdminPassword = "simulator tests",
            AdminToken = AdminToken,
            ConsoleLogging = false,
            CheckInFlushInterval = TimeSpan.FromMilliseconds(200),
        });
        admin = ServerHttpClient.Create(server.BaseUri, 4, server.CertificatePath, insecure: false, TimeSpan.FromSeconds(30));
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public async Task DisposeAsync()
    {
        admin?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        data.Dispose();
    }

    /// <summary>Options for a simulator against this server with a manual clock: short, round intervals, no start ramp.</summary>
    public SimulatorOptions Options(string prefix, int devices, bool preauthorize = true) => new()
    {
        Server = Server.BaseUri,
        CaCertificatePath = Server.CertificatePath,
        Devices = devices,
        DeviceTypes = ["pi4-v3-arm64"],
        InitialImages = new Dictionary<string, string> { ["pi4-v3-arm64"] = "pi4-os-1" },
        IdentityPrefix = prefix,
        ManagementToken = preauthorize ? AdminToken : null,
        PollInterval = TimeSpan.FromSeconds(30),
        RetryInterval = TimeSpan.FromSeconds(10),
        InventoryInterval = TimeSpan.FromHours(1),
        StartRamp = TimeSpan.Zero,
        InstallTime = TimeSpan.FromSeconds(10),
        RebootTime = TimeSpan.FromSeconds(20),
        MaxConnections = 8,
    };

    /// <summary>Writes a rootfs-image artifact (random, incompressible payload of <paramref name="payloadBytes"/>) and uploads it.</summary>
    public async Task UploadOsArtifactAsync(string name, string deviceType = "pi4-v3-arm64", int payloadBytes = 16 * 1024)
    {
        var payload = new byte[payloadBytes];
        new Random(name.Length * 7919).NextBytes(payload);
        using var file = new MemoryStream();
        await ArtifactWriter.WriteRootfsImageAsync(file, new RootfsImageDefinition
        {
            Name = name,
            DeviceTypes = [deviceType],
            Image = ArtifactFileSource.FromBytes("rootfs.ext4", payload),
        }, new ArtifactWriterOptions { DataCompression = CompressionLevel.NoCompression });
        using var form = new MultipartFormDataContent
        {
            { new StringContent(name), "description" },
            { new StringContent(file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
            { new ByteArrayContent(file.ToArray()), "artifact", name + ".mender" },
        };
        using var response = await Admin.PostAsync("/api/management/v1/deployments/artifacts", form);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> DeployAsync(string artifactName, IEnumerable<Guid> devices, int retries = 0)
    {
        using var response = await Admin.PostAsJsonAsync("/api/management/v1/deployments/deployments",
            new { name = "deploy " + artifactName, artifact_name = artifactName, devices = devices.Select(d => d.ToString()).ToArray(), retries });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString().Split('/')[^1];
    }

    public async Task<JsonElement> StatisticsAsync(string deploymentId) =>
        await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}/statistics");

    /// <summary>True when no device of the deployment is unfinished.</summary>
    public async Task<bool> FinishedAsync(string deploymentId)
    {
        var deployment = await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}");
        return deployment.GetProperty("status").GetString() == "finished";
    }

    public async Task<string> DeviceLogAsync(string deploymentId, Guid device)
    {
        using var response = await Admin.GetAsync($"/api/management/v1/deployments/deployments/{deploymentId}/devices/{device}/log");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The device's inventory-scope attributes as strings (lists joined with ',').</summary>
    public async Task<Dictionary<string, string>> InventoryAsync(Guid device)
    {
        var json = await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device}");
        return json.GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("scope").GetString() == "inventory")
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("value").ValueKind == JsonValueKind.String
                ? a.GetProperty("value").GetString()! : a.GetProperty("value").GetRawText());
    }

    public async Task<JsonElement> DevAuthAsync(Guid device) =>
        await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v2/devauth/devices/{device}");
}
