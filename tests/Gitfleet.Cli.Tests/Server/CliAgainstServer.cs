using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>
/// The CLI against a real server (HTTPS on loopback, its own certificate trusted through --ca-cert) and a real git
/// fleet repository. The server does not watch the repository: the CLI's `apply` is the only way targets arrive,
/// as in the seeds' CI job. The rollout engine runs when a test says so (<see cref="RunEngineAsync"/>).
/// </summary>
internal sealed class CliAgainstServer : IAsyncDisposable
{
    private CliAgainstServer(ReconcileHarness harness) => Harness = harness;

    public ReconcileHarness Harness { get; }

    public string RepositoryPath => Harness.Repository.Path;

    public static async Task<CliAgainstServer> StartAsync() =>
        new(await ReconcileHarness.StartAsync(o => o with { FleetRepository = null, FleetBranches = [] }));

    /// <summary>Runs a command that talks to the server: connection options and the template secret are added.</summary>
    public Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync(RepositoryPath, new Dictionary<string, string> { ["APP_TOKEN"] = ReconcileHarness.AppToken },
            [.. args, "--server", Harness.Server.BaseUri.ToString(), "--token", TestServer.AdminToken, "--ca-cert", Harness.Server.Server.CertificatePath!]);

    public Task<CliResult> ApplyAsync(string branch, params string[] more) =>
        RunAsync(["apply", "--repo", RepositoryPath, "--branch", branch, .. more]);

    /// <summary>Merges main into a stage branch (a fast-forward, as a promotion merge request does).</summary>
    public void Promote(string branch) => Harness.Repository.Git("push", "--quiet", ".", "main:" + branch);

    public Task RunEngineAsync() => Harness.RunAsync();

    /// <summary>Lets devices check in and the engine decide until nothing is offered any more (bounded).</summary>
    public async Task SettleAsync(params FleetDevice[] devices)
    {
        for (var round = 0; round < 8; round++)
        {
            await RunEngineAsync();
            var offered = 0;
            foreach (var device in devices)
            {
                offered += await device.CheckInAsync() is null ? 0 : 1;
            }

            if (offered == 0)
            {
                await RunEngineAsync();
                return;
            }
        }

        throw new InvalidOperationException("the devices were still offered deployments after 8 rounds");
    }

    /// <summary>The deployments created for one device, by artifact name.</summary>
    public async Task<List<string>> DeploymentsOfAsync(FleetDevice device)
    {
        var all = await Harness.DeploymentsAsync();
        var names = new List<string>();
        foreach (var deployment in all)
        {
            var id = deployment.GetProperty("id").GetString()!;
            var devices = await Harness.Admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{id}/devices");
            if (devices.EnumerateArray().Any(d => d.GetProperty("id").GetString() == device.Id))
            {
                names.Add(deployment.GetProperty("artifact_name").GetString()!);
            }
        }

        return names;
    }

    public async ValueTask DisposeAsync() => await Harness.DisposeAsync();
}
