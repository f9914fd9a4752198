using System.Security.Cryptography;
using System.Text;
using Gitfleet.Artifacts;
using Gitfleet.Cli.Commands;
using Gitfleet.Cli.Output;
using Gitfleet.Client;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Hosting;
using Gitfleet.Simulator;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Spectre.Console;

namespace Gitfleet.Cli.Demo;

/// <summary>
/// `gitfleet demo`: the whole system on its embedded defaults. A server on SQLite watching a fleet repository, the
/// sample's seven devices and a few hundred field devices (simulated, speaking the real device protocol), and a
/// release walked through the stages: commit to main, merge to canary, gate, merge to production.
/// </summary>
internal sealed class DemoRun(CliConsole console, DemoSettings settings)
{
    private static readonly string[] Stages = ["main", "canary", "production"];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = settings.Directory;
        var repository = new FleetRepositoryWriter(Path.Combine(root, "fleet"), "Demo Operator", "operator@fleet.example");
        string first;
        if (settings.Server is null)
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            Directory.CreateDirectory(root);
            first = await repository.CreateAsync(DemoFleet.Files(), Stages, SampleFleet.Subject, cancellationToken).ConfigureAwait(false);
        }
        else if (Directory.Exists(Path.Combine(repository.Directory, ".git")))
        {
            // The running servers watch this repository since they started: keep it.
            first = await repository.HeadAsync(cancellationToken, Stages[0]).ConfigureAwait(false);
        }
        else
        {
            throw new IOException($"{repository.Directory} holds no fleet repository: write it with `gitfleet demo --dir {root} --fleet-only` before starting the servers");
        }

        console.Out.MarkupLine($"[bold]Gitfleet demo[/]: the fleet repository is {Markup.Escape(repository.Directory)} ({first[..12]}); branches main, canary and production are the stages.");
        if (settings.FleetOnly)
        {
            return ExitCodes.Ok;
        }

        var adminPassword = settings.Server is null ? Secret() : settings.AdminPassword;
        var token = settings.Token ?? Secret();
        var tokenFile = Path.Combine(root, "token");
        await File.WriteAllTextAsync(tokenFile, token + "\n", cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var own = settings.Server is not null ? null : await GitfleetServer.StartAsync(new ServerOptions
        {
            DataDirectory = Path.Combine(root, "server"),
            Urls = [$"https://127.0.0.1:{settings.Port}"],
            AdminPassword = adminPassword,
            AdminToken = token,
            FleetRepository = repository.Directory,
            FleetBranches = Stages,
            FleetPollInterval = TimeSpan.FromSeconds(1),
            ReconcileInterval = TimeSpan.FromSeconds(1),
            CheckInFlushInterval = TimeSpan.FromSeconds(1),
            ConsoleLogging = false,
            Secrets = Secrets,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var server = own is null ? new Endpoint(settings.Server!, settings.CaCertificate!) : new Endpoint(own.BaseUri, own.CertificatePath);
        console.Out.MarkupLine(own is null
            ? $"Servers: [bold]{Markup.Escape(server.BaseUri.ToString())}[/] (already running, watching the fleet repository)."
            : $"Server: [bold]{Markup.Escape(server.BaseUri.ToString())}[/] (SQLite in {Markup.Escape(own.DataDirectory)}), watching the fleet repository.");

        using var client = await ManagementClient.ConnectAsync(new ManagementClientOptions
        {
            ServerUrl = server.BaseUri,
            Token = token,
            CaCertificatePath = server.CertificatePath,
        }, cancellationToken).ConfigureAwait(false);

        var allYml = repository.Read("group_vars/all.yml");
        var release = DemoFleet.Release(allYml);
        await UploadImagesAsync(client, Path.Combine(root, "artifacts"), DemoFleet.Images(release), cancellationToken).ConfigureAwait(false);

        var initialImages = DemoFleet.Images(allYml).ToDictionary(i => i.DeviceType, i => i.Image, StringComparer.Ordinal);
        var simulations = Simulations(server, token, initialImages, release);
        try
        {
            foreach (var simulation in simulations)
            {
                await simulation.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            console.Out.MarkupLine($"Devices: the sample's {DemoFleet.Devices.Count} (admitted because git declares their identity and key) and {settings.FieldDevices} field devices, polling every {settings.PollInterval.TotalSeconds:0.#} s.");
            var progress = new StageProgress(console, client, settings.StageTimeout);

            Step("1. Every stage converges on the fleet as committed: each device gets its configuration.");
            await progress.WaitAsync([.. Stages.Select(s => Stage(s, first))], cancellationToken).ConfigureAwait(false);

            await repository.WriteAsync("group_vars/all.yml", release, cancellationToken).ConfigureAwait(false);
            var change = await repository.CommitAsync("Release 2022-09: new OS images, kiosks refresh every 30 minutes", cancellationToken).ConfigureAwait(false);
            Step($"2. A commit to main ({change[..12]}): new OS images for every device type, kiosks refresh every 30 minutes. Only devices subscribed to main change.");
            await progress.WaitAsync([Stage("main", change)], cancellationToken).ConfigureAwait(false);

            var canary = await repository.MergeAsync("main", "canary", cancellationToken).ConfigureAwait(false);
            Step($"3. Merge main into canary ({canary[..12]}): the same content reaches the canary devices.");
            await progress.WaitAsync([Stage("canary", canary)], cancellationToken).ConfigureAwait(false);

            Step("4. The promotion gate: canary must have converged on the merge and stayed healthy (gitfleet gate --branch canary).");
            var gate = await client.GetGateAsync("canary", canary, 100, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (!gate.Passed)
            {
                console.Out.MarkupLine($"  [red]gate failed[/]: {Markup.Escape(string.Join("; ", gate.Reasons))}. Production is not promoted.");
                await FinishAsync(client, server, tokenFile, adminPassword, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Error;
            }

            console.Out.MarkupLine("  [green]gate passed[/]: canary runs the release, every canary device converged.");
            var production = await repository.MergeAsync("canary", "production", cancellationToken).ConfigureAwait(false);
            Step($"5. Merge canary into production ({production[..12]}): rolled out in waves (10%, 50%, 100%) per gitfleet.yml; a few legacy devices fail the new image's health check and roll back.");
            var statuses = await progress.WaitAsync([Stage("production", production)], cancellationToken).ConfigureAwait(false);
            for (var resumed = 0; statuses[0].Rollout?.Phase == RolloutPhase.Paused && resumed < 3; resumed++)
            {
                Step($"6. The rollout paused at the failure threshold ({statuses[0].Rollout!.Message}). An operator reads the reasons, decides the failures are the legacy devices' own, and resumes (gitfleet rollout resume --branch production).");
                foreach (var issue in statuses[0].Issues.Where(i => i.State == "failed").Take(5))
                {
                    console.Out.MarkupLine($"  [red]failed[/] {Markup.Escape(issue.Device)}: {Markup.Escape(issue.Reason)}");
                }

                await client.ControlRolloutAsync("production", "resume", cancellationToken).ConfigureAwait(false);
                statuses = await progress.WaitAsync([Stage("production", production)], cancellationToken).ConfigureAwait(false);
            }

            await FinishAsync(client, server, tokenFile, adminPassword, cancellationToken).ConfigureAwait(false);
            if (settings.KeepRunning)
            {
                console.Out.MarkupLine("The server and the devices keep running: commit to the fleet repository and watch them follow. Ctrl-C stops.");
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var simulation in simulations)
            {
                await simulation.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Where the demo's devices and operator reach the server: its own, or the replicas' load balancer.</summary>
    private sealed record Endpoint(Uri BaseUri, string? CertificatePath);

    private List<FleetSimulator> Simulations(Endpoint server, string token, IReadOnlyDictionary<string, string> initialImages, string release)
    {
        var common = new SimulatorOptions
        {
            Server = server.BaseUri,
            CaCertificatePath = server.CertificatePath,
            ManagementToken = token,
            PollInterval = settings.PollInterval,
            RetryInterval = settings.PollInterval,
            InventoryInterval = TimeSpan.FromMinutes(5),
            InstallTime = TimeSpan.FromSeconds(1),
            ConfigurationApplyTime = TimeSpan.FromMilliseconds(200),
            RebootTime = TimeSpan.FromSeconds(1),
            StartRamp = TimeSpan.FromSeconds(2),
            InitialImages = initialImages,
            Seed = settings.Seed,
            Devices = 0,
        };
        var simulations = new List<FleetSimulator>
        {
            FleetSimulator.Create(common with
            {
                IdentityPrefix = "demo",
                DefinedDevices = [.. DemoFleet.Devices.Select((d, index) => new SimulatedDeviceDefinition
                {
                    Identity = DemoFleet.Identity(d.Name, index),
                    DeviceType = d.DeviceType,
                    InitialImage = initialImages[d.DeviceType],
                })],
            }),
        };

        // The legacy Pi 2 image of the release fails its health check on a few production field devices.
        var pi2Release = DemoFleet.Images(release).First(i => i.DeviceType == "pi2-armhf").Image;
        foreach (var (ring, _) in DemoFleet.Rings)
        {
            var count = DemoFleet.FieldDevicesOf(ring, settings.FieldDevices);
            if (count == 0)
            {
                continue;
            }

            simulations.Add(FleetSimulator.Create(common with
            {
                IdentityPrefix = "field-" + ring,
                Devices = count,
                InventoryAttributes = new Dictionary<string, string> { ["ring"] = ring },
                Faults = ring != "production" ? FaultSettings.None : new FaultSettings
                {
                    ImageFailures =
                    [
                        new ImageFailureRule
                        {
                            ArtifactPattern = pi2Release,
                            DeviceTypes = ["pi2-armhf"],
                            Indexes = (0, 14),
                            Message = "health check failed: the kiosk browser did not start on the new image; rolled back to the previous slot",
                        },
                    ],
                },
            }));
        }

        return simulations;
    }

    private async Task UploadImagesAsync(ManagementClient client, string directory, IReadOnlyList<(string DeviceType, string Image)> images, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        foreach (var (deviceType, image) in images)
        {
            var path = Path.Combine(directory, image + ".mender");
            await using (var file = File.Create(path))
            {
                await ArtifactWriter.WriteRootfsImageAsync(file, new RootfsImageDefinition
                {
                    Name = image,
                    DeviceTypes = [deviceType],
                    Image = ArtifactFileSource.FromBytes("rootfs.img", Encoding.UTF8.GetBytes($"demo root filesystem {image}\n" + new string('.', 64 * 1024))),
                }, null, cancellationToken).ConfigureAwait(false);
            }

            await client.UploadArtifactAsync(path, "gitfleet demo release", cancellationToken).ConfigureAwait(false);
        }

        console.Out.MarkupLine($"Artifacts: uploaded the release's {images.Count} OS images (made with Gitfleet's artifact writer; mender-artifact makes the same format).");
    }

    private async Task FinishAsync(ManagementClient client, Endpoint server, string tokenFile, string? adminPassword, CancellationToken cancellationToken)
    {
        console.Out.WriteLine();
        console.Out.MarkupLine("[bold]Where the fleet stands[/] (gitfleet status):");
        var statuses = await client.GetBranchesAsync(cancellationToken).ConfigureAwait(false);
        StatusView.Print(console, statuses, limit: 10);
        var device = statuses.SelectMany(s => s.Issues).FirstOrDefault()?.Device ?? "DEVICE_ID";
        console.Out.WriteLine();
        var url = server.BaseUri.ToString().TrimEnd('/');
        var connect = $"--server {url} --ca-cert {server.CertificatePath} --token $(cat {tokenFile})";
        console.Out.MarkupLine("[bold]Where to look[/]");
        console.Out.MarkupLine($"  server        {Markup.Escape(url)} (user admin, password {Markup.Escape(adminPassword ?? "as the servers were given it")}; a token is in {Markup.Escape(tokenFile)})");
        console.Out.MarkupLine($"  dashboard     {Markup.Escape(url)}/ui/ (user admin, the password above)");
        console.Out.MarkupLine($"  metrics       {Markup.Escape(url)}/metrics");
        console.Out.MarkupLine($"  API document  {Markup.Escape(url)}/api/openapi.json");
        console.Out.MarkupLine($"  status        ./gitfleet status {Markup.Escape(connect)}");
        console.Out.MarkupLine($"  history       ./gitfleet history {Markup.Escape(device)} {Markup.Escape(connect)}");
        console.Out.MarkupLine($"  plan          ./gitfleet plan --repo {Markup.Escape(Path.GetDirectoryName(tokenFile)!)}/fleet --branch production {Markup.Escape(connect)}");
    }

    private StageTarget Stage(string branch, string commit) => new(branch, commit, DemoFleet.DevicesOf(branch, settings.FieldDevices));

    private void Step(string text)
    {
        console.Out.WriteLine();
        console.Out.MarkupLine($"[bold]{Markup.Escape(text)}[/]");
    }

    /// <summary>The sample templates read two secrets; the demo supplies sample values unless the environment has them.</summary>
    private string? Secrets(string name) => console.Environment(name) ?? name switch
    {
        "INFLUXDB_HTTP_TOKEN" => "sample-influxdb-token",
        "GITHUB_RUNNER_TOKEN" => "sample-runner-token",
        _ => null,
    };

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
