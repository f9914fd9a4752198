using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Cli;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Hosting;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Device;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.EndToEnd.Tests.Support;

/// <summary>
/// The whole system on one machine: a fleet repository and a playbook repository (git), the Gitfleet server
/// in-process on https://127.0.0.1:0 watching main and canary of the fleet repository (poll every second) while
/// production is applied by `gitfleet apply` as the seeds' CI job does, and real mender-client
/// daemons with the device package. Waits are bounded and fail with every device's log tail and the stages' status.
/// </summary>
public sealed class LiveFleet : IAsyncDisposable
{
    public const string AdminToken = "end-to-end-admin-token-0123456789abcdef";
    public static readonly string[] Stages = ["main", "canary", "production"];

    /// <summary>The stages the server's git watcher pulls; production is pushed by the CI job (<see cref="ApplyAsync"/>).</summary>
    public static readonly string[] Watched = ["main", "canary"];

    private readonly TempDirectory work = new("gitfleet-e2e");
    private readonly List<LiveDevice> devices = [];
    private GitfleetServer? server;

    private LiveFleet()
    {
    }

    public GitTestRepository Repository { get; } = new();

    public GitTestRepository Playbooks { get; } = new();

    /// <summary>The first commit declaring the fleet, on every stage.</summary>
    public string DeclaredCommit { get; private set; } = "";

    /// <summary>The playbook repository's commit the fleet pins.</summary>
    public string PlaybookCommit { get; private set; } = "";

    public IReadOnlyList<LiveDevice> Devices => devices;

    public GitfleetServer Server => server ?? throw new InvalidOperationException("the server is not started");

    public HttpClient Admin { get; private set; } = null!;

    public LiveDevice this[string name] => devices.Single(d => d.Name == name);

    /// <summary>
    /// Starts the server and the devices (provisioned with their device type's image), then commits the fleet
    /// (<paramref name="files"/> is called with the started devices) to main, canary and production.
    /// </summary>
    public static async Task<LiveFleet> StartAsync(
        IReadOnlyList<(string Name, string Branch, string DeviceType)> fleet,
        IReadOnlyDictionary<string, string> provisioned,
        Func<LiveFleet, FleetFiles> files)
    {
        var live = new LiveFleet();
        try
        {
            await live.StartCoreAsync(fleet, provisioned, files);
            return live;
        }
        catch
        {
            await live.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(
        IReadOnlyList<(string Name, string Branch, string DeviceType)> fleet, IReadOnlyDictionary<string, string> provisioned, Func<LiveFleet, FleetFiles> files)
    {
        PlaybookCommit = Playbooks.Write("playbook.yml", FleetFiles.KioskPlaybook).Commit("Kiosk playbook");
        var keys = await Task.WhenAll(fleet.Select(_ => Task.Run(() =>
        {
            using var rsa = RSA.Create(3072);
            return rsa.ExportRSAPrivateKeyPem();
        })));

        // The server first (the devices need its address and certificate), watching an empty history until the
        // fleet is committed below.
        Repository.Write("README.md", "The fleet.\n").Commit("Start the fleet repository");
        Repository.Git("branch", "canary");
        Repository.Git("branch", "production");
        server = await GitfleetServer.StartAsync(new ServerOptions
        {
            DataDirectory = work.Combine("server"),
            Urls = ["https://127.0.0.1:0"],
            AdminToken = AdminToken,
            AdminPassword = "end-to-end admin password",
            ConsoleLogging = false,
            CheckInFlushInterval = TimeSpan.FromMilliseconds(200),
            FleetRepository = Repository.Path,
            FleetBranches = Watched,
            FleetPollInterval = TimeSpan.FromSeconds(1),
            ReconcileInterval = TimeSpan.FromSeconds(1),
            Secrets = _ => null,
        });
        Admin = Client();
        foreach (var ((name, branch, deviceType), key) in fleet.Zip(keys))
        {
            devices.Add(await LiveDevice.StartAsync(name, branch, new MenderClientOptions
            {
                ProvisionedImage = provisioned[deviceType],
                DeviceType = deviceType,
                Server = Server.BaseUri,
                ServerCertificate = Server.CertificatePath,
                Identity = new Dictionary<string, string> { ["mac"] = MenderClientHarness.MacFor(name) },
                PrivateKeyPem = key,
                UpdatePollSeconds = 2,
                InventoryPollSeconds = 5,
                RetryPollSeconds = 2,
            }));
        }

        files(this).WriteTo(Repository);
        DeclaredCommit = Repository.Commit("Declare the fleet: kiosks and gateways on main, canary and production");
        Repository.Git("branch", "-f", "canary", DeclaredCommit);
        Repository.Git("branch", "-f", "production", DeclaredCommit);
    }

    /// <summary>An HTTP client with the admin token that trusts exactly the server's generated certificate.</summary>
    public HttpClient Client()
    {
        var client = new HttpClient(PinnedCertificate.Handler(Server.CertificatePath!)) { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>Builds a gitfleet-ab OS artifact with gitfleet-make-os-artifact and uploads it.</summary>
    public async Task UploadImageAsync(string name, string deviceType, params string[] options)
    {
        var path = await DeviceArtifacts.OperatingSystemAsync(work.Combine($"{name}.mender"), name, deviceType, options);
        using var form = new MultipartFormDataContent
        {
            { new StringContent($"{name} for {deviceType}"), "description" },
            { new StringContent(new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
        };
        var file = new StreamContent(File.OpenRead(path));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "artifact", Path.GetFileName(path));
        using var response = await Admin.PostAsync("/api/management/v1/deployments/artifacts", form);
        response.IsSuccessStatusCode.ShouldBeTrue($"upload of {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<BranchStatus> StatusAsync(string branch)
    {
        using var response = await Admin.GetAsync($"/api/management/v1/gitfleet/branches/{branch}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ReconcileJson.Context.BranchStatus))!;
    }

    /// <summary>What the device last reported as its applied configuration (deviceconfig), or null.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ReportedConfigurationAsync(LiveDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var response = await Admin.GetAsync($"/api/management/v1/deviceconfig/configurations/device/{device.Id}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var shape = await response.Content.ReadFromJsonAsync<JsonElement>();
        return shape.TryGetProperty("reported", out var reported) && reported.ValueKind == JsonValueKind.Object
            ? reported.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
            : null;
    }

    /// <summary>The device's inventory attributes (name → value as text).</summary>
    public async Task<IReadOnlyDictionary<string, string>> InventoryAsync(LiveDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var shape = await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{device.Id}");
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (shape.TryGetProperty("attributes", out var list))
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                attributes[attribute.GetProperty("name").GetString()!] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
        }

        return attributes;
    }

    public async Task<List<JsonElement>> HistoryAsync(LiveDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var history = await Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/gitfleet/devices/{device.Id}/history");
        return [.. history.EnumerateArray()];
    }

    /// <summary>The seeds' CI job on a push to <paramref name="branch"/>: `gitfleet apply --mode run`.</summary>
    public async Task ApplyAsync(string branch)
    {
        var (exitCode, output) = await CliAsync("apply", "--branch", branch, "--repo", Repository.Path, "--mode", "run");
        exitCode.ShouldBe(0, $"gitfleet apply --branch {branch}:\n{output}");
    }

    /// <summary>What an operator does for a device git does not admit: accept its pending auth set.</summary>
    public async Task AcceptAsync(LiveDevice device, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(device);
        (string Id, string AuthSet)? pending = null;
        await EventuallyAsync($"{device.Name} pending", async () =>
        {
            var list = await Admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500");
            foreach (var entry in list.EnumerateArray())
            {
                if (entry.GetProperty("identity_data").TryGetProperty("mac", out var mac) && mac.GetString() == device.Mac)
                {
                    pending = (entry.GetProperty("id").GetString()!, entry.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
                }
            }

            return pending is not null;
        }, limit);
        using var response = await Admin.PutAsJsonAsync(
            $"/api/management/v2/devauth/devices/{pending!.Value.Id}/auth/{pending.Value.AuthSet}/status", new { status = "accepted" });
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until the server's inventory of the device has its device type and installed image.</summary>
    public Task AwaitInventoryAsync(LiveDevice device, TimeSpan limit) => EventuallyAsync($"{device.Name}'s inventory", async () =>
    {
        var inventory = await InventoryAsync(device);
        return inventory.ContainsKey("device_type") && inventory.ContainsKey("rootfs-image.version");
    }, limit);

    /// <summary>The log the device sent for its failed part of a deployment.</summary>
    public Task<string> DeploymentLogAsync(string deploymentId, LiveDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Admin.GetStringAsync($"/api/management/v1/deployments/deployments/{deploymentId}/devices/{device.Id}/log");
    }

    /// <summary>Learns the server ids of the devices once they are accepted.</summary>
    public Task AwaitAdmissionAsync(TimeSpan limit) => EventuallyAsync("every device accepted", async () =>
    {
        var list = await Admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500");
        foreach (var entry in list.EnumerateArray())
        {
            var mac = entry.GetProperty("identity_data").TryGetProperty("mac", out var m) ? m.GetString() : null;
            if (devices.FirstOrDefault(d => d.Mac == mac) is { } device && entry.GetProperty("status").GetString() == "accepted")
            {
                device.Id = entry.GetProperty("id").GetString();
            }
        }

        return devices.All(d => d.Id is not null);
    }, limit);

    /// <summary>Runs the gitfleet CLI in-process against this server (as CI would with GITFLEET_SERVER, _TOKEN, _CA_CERT).</summary>
    public async Task<(int ExitCode, string Output)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var environment = new Dictionary<string, string>
        {
            ["GITFLEET_SERVER"] = Server.BaseUri.ToString(),
            ["GITFLEET_TOKEN"] = AdminToken,
            ["GITFLEET_CA_CERT"] = Server.CertificatePath!,
            ["XDG_CACHE_HOME"] = work.Combine("cache"),
        };
        var console = new CliConsole(stdout, stderr, interactive: false, environment.GetValueOrDefault, work.Path);
        var exit = await GitfleetCli.RunAsync(args, console, CancellationToken.None);
        return (exit, stdout.ToString() + stderr);
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; on timeout fails with what was awaited, every stage's
    /// status and every device's client log tail.
    /// </summary>
    public Task EventuallyAsync(string what, Func<Task<bool>> condition, TimeSpan limit) =>
        Poll.UntilAsync(what, condition, limit, DiagnosticsAsync);

    public async Task<string> DiagnosticsAsync()
    {
        var text = new StringBuilder();
        foreach (var stage in Stages)
        {
            try
            {
                text.AppendLine(JsonSerializer.Serialize(await StatusAsync(stage), ReconcileJson.Context.BranchStatus));
            }
            catch (HttpRequestException e)
            {
                text.AppendLine($"status of {stage}: {e.Message}");
            }
        }

        try
        {
            var deployments = await Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=20");
            foreach (var deployment in deployments.EnumerateArray())
            {
                text.AppendLine($"deployment {deployment.GetRawText()}");
            }
        }
        catch (HttpRequestException e)
        {
            text.AppendLine($"deployments: {e.Message}");
        }

        foreach (var device in devices)
        {
            text.AppendLine(device.LogTail());
            if (device.Id is not null)
            {
                try
                {
                    var reported = await ReportedConfigurationAsync(device);
                    var inventory = await InventoryAsync(device);
                    text.AppendLine($"reported configuration: {(reported is null ? "none" : string.Join(", ", reported.Select(p => $"{p.Key}={p.Value}")))}");
                    text.AppendLine($"inventory: {string.Join(", ", inventory.Where(a => a.Key.StartsWith("gitfleet_", StringComparison.Ordinal) || a.Key.Contains("artifact", StringComparison.Ordinal) || a.Key.StartsWith("rootfs", StringComparison.Ordinal)).Select(a => $"{a.Key}={a.Value}"))}");
                }
                catch (HttpRequestException e)
                {
                    text.AppendLine($"server view of {device.Name}: {e.Message}");
                }
            }
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

        Repository.Dispose();
        Playbooks.Dispose();
        work.Dispose();
    }
}
