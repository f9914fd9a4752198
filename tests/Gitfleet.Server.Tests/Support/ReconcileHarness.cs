using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Artifacts;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Reconcile.Git;
using Gitfleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A real server watching a real git fleet repository (main, canary, production), with a manual clock. Tests
/// drive the watcher and the rollout engine explicitly (<see cref="ReconcileAsync"/>, <see cref="RunAsync"/>);
/// the background loops only repeat the same idempotent work.
/// </summary>
public sealed class ReconcileHarness : IAsyncDisposable
{
    public const string WebhookSecret = "webhook-secret-for-tests";
    public const string AppToken = "s3cr3t-app-token";

    private readonly TempDirectory artifacts = new("gitfleet-images");
    private readonly HashSet<string> uploaded = new(StringComparer.Ordinal);

    private ReconcileHarness(GitTestRepository repository, TestServer server, HttpClient admin)
    {
        Repository = repository;
        Server = server;
        Admin = admin;
    }

    public GitTestRepository Repository { get; }

    public TestServer Server { get; }

    public HttpClient Admin { get; }

    public ManualTimeProvider Time => Server.Time;

    internal RolloutEngine Engine => Server.Server.Services.GetRequiredService<RolloutEngine>();

    internal GitWatcher Watcher => Server.Server.Services.GetRequiredService<GitWatcher>();

    public static async Task<ReconcileHarness> StartAsync(Func<Gitfleet.Server.Hosting.ServerOptions, Gitfleet.Server.Hosting.ServerOptions>? configure = null)
    {
        var repository = new GitTestRepository();
        repository.Write("README.md", "fleet\n");
        repository.Commit("Empty fleet");
        repository.Git("branch", "canary");
        repository.Git("branch", "production");
        var server = new TestServer
        {
            Configure = o => (configure ?? (x => x))(o with
            {
                FleetRepository = repository.Path,
                FleetBranches = ["main", "canary", "production"],
                FleetPollInterval = TimeSpan.FromHours(1),
                ReconcileInterval = TimeSpan.FromHours(1),
                WebhookSecret = WebhookSecret,
                BackgroundReconcile = false,
                Secrets = name => name == "APP_TOKEN" ? AppToken : null,
            }),
        };
        await server.InitializeAsync();
        return new ReconcileHarness(repository, server, await server.AdminAsync());
    }

    public Task<FleetDevice> DeviceAsync(string deviceType = "raspberrypi4", string image = "image-1", bool reportsImage = true, bool appliesDeltas = false) =>
        FleetDevice.CreateAsync(Server, deviceType, image, reportsImage, appliesDeltas);

    /// <summary>Uploads an OS image artifact (rootfs-image, provides rootfs-image.version = name) once.</summary>
    public async Task UploadImageAsync(string name, string deviceType = "raspberrypi4")
    {
        if (!uploaded.Add(name + "/" + deviceType))
        {
            return;
        }

        var path = artifacts.Combine(name + ".mender");
        await using (var file = File.Create(path))
        {
            await ArtifactWriter.WriteRootfsImageAsync(file, new RootfsImageDefinition
            {
                Name = name,
                DeviceTypes = [deviceType],
                Image = ArtifactFileSource.FromBytes("rootfs.img", Encoding.UTF8.GetBytes("image " + name + new string('.', 8192))),
            });
        }

        using var response = await TestServer.UploadAsync(Admin, path);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Writes the standard fleet files: devices per branch, one image, a configuration with a secret, an optional gitfleet.yml.</summary>
    public void WriteFleet(IReadOnlyDictionary<string, IEnumerable<FleetDevice>> devicesByBranch, string image, string message = "hello", string? settings = null, string extraInventory = "")
    {
        var inventory = new StringBuilder("all:\n  children:\n");
        foreach (var (branch, devices) in devicesByBranch)
        {
            inventory.Append($"    {branch}_devices:\n      vars:\n        subscribed_branch: {branch}\n      hosts:\n");
            foreach (var device in devices)
            {
                inventory.Append($"        {device.Id}:\n");
            }
        }

        inventory.Append(extraInventory);
        Repository.Write("inventory.yml", inventory.ToString());
        Repository.Write("group_vars/all.yml", $"os_image:\n  - device_type: raspberrypi4\n    image_name: {image}\nconfiguration:\n  template: app.json\n  parameters:\n    message: {message}\n");
        Repository.Write("templates/app.json", "{\n  \"message\": \"{{message}}\",\n  \"app_token\": \"{{env \"APP_TOKEN\"}}\"\n}\n");
        if (settings is not null)
        {
            Repository.Write("gitfleet.yml", settings);
        }
    }

    /// <summary>The watcher fetches and plans the branch, then the engine decides once.</summary>
    public async Task ReconcileAsync(string branch)
    {
        await Watcher.ReconcileAsync(branch, CancellationToken.None);
        await RunAsync();
    }

    public Task RunAsync() => Engine.RunOnceAsync(CancellationToken.None);

    public async Task<BranchStatus> StatusAsync(string branch)
    {
        using var response = await Admin.GetAsync($"/api/management/v1/gitfleet/branches/{branch}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ReconcileJson.Context.BranchStatus))!;
    }

    public async Task<GateResult> GateAsync(string branch, string query = "")
    {
        using var response = await Admin.GetAsync($"/api/management/v1/gitfleet/branches/{branch}/gate{query}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ReconcileJson.Context.GateResult))!;
    }

    /// <summary>Every deployment on the server (newest first).</summary>
    public async Task<List<JsonElement>> DeploymentsAsync()
    {
        var list = await Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=500");
        return [.. list.EnumerateArray()];
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
        Repository.Dispose();
        artifacts.Dispose();
    }
}
