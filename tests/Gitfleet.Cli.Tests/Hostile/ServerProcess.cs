using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Device;

namespace Gitfleet.Cli.Tests.Hostile;

/// <summary>
/// `gitfleet server` as its own process (the built gitfleet.dll under `dotnet`), so a crash is observed as a crash
/// and memory as the process's resident size: hostile input must leave it running, answering, and small.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class ServerProcess : IAsyncDisposable
{
    public const string AdminToken = "static-admin-token-for-process-tests-0123456789";

    private readonly TempDirectory data = new("gitfleet-server-process");
    private readonly IReadOnlyList<string> arguments;
    private readonly Dictionary<string, string?> environment;
    private BackgroundProcess? process;

    private ServerProcess(IEnumerable<string>? arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        this.arguments = [.. arguments ?? []];
        this.environment = new Dictionary<string, string?>
        {
            ["GITFLEET_ADMIN_PASSWORD"] = TestServer.AdminPassword,
            ["GITFLEET_ADMIN_TOKEN"] = AdminToken,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            this.environment[key] = value;
        }
    }

    public Uri BaseUri { get; private set; } = null!;

    public string CertificatePath { get; private set; } = null!;

    public string Output => process?.Output ?? "";

    public int Id => process!.Id;

    /// <summary>Starts the server on a free port; <paramref name="arguments"/> and <paramref name="environment"/> are added.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var server = new ServerProcess(arguments, environment);
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>A server watching the main branch of <paramref name="repository"/> (given an empty first commit), polling every second.</summary>
    public static Task<ServerProcess> StartWatchingAsync(GitTestRepository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        repository.Write("README.md", "fleet\n");
        repository.Commit("Empty fleet");
        return StartAsync(["--fleet-repo", repository.Path, "--fleet-branches", "main", "--fleet-poll-interval", "1s"]);
    }

    /// <summary>Stops the process (SIGTERM) and starts it again on the same data directory (a new port).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    private async Task LaunchAsync()
    {
        process = new BackgroundProcess(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "gitfleet.dll"), "server", "--data", data.Path, "--urls", "https://127.0.0.1:0", .. arguments],
            environment);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var output = process.Output;
            var listening = ListeningPattern().Match(output);
            var certificate = CertificatePattern().Match(output);
            if (listening.Success && certificate.Success)
            {
                BaseUri = new Uri(listening.Groups[1].Value);
                CertificatePath = certificate.Groups[1].Value.Trim();
                return;
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the server process did not start:\n{process.Tail()}");
            }

            await Task.Delay(100);
        }
    }

    private async Task StopAsync()
    {
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Signal("TERM");
            for (var i = 0; i < 100 && !process.HasExited; i++)
            {
                await Task.Delay(100);
            }
        }

        process.Dispose();
        process = null;
    }

    /// <summary>Fails the test when the process has ended (with its last output: the crash it died of).</summary>
    public void ShouldBeRunning(string when)
    {
        process!.HasExited.ShouldBeFalse($"the server process ended {when}; its last output:\n{process.Tail(60)}");
    }

    /// <summary>The process's peak resident set size (VmHWM), in bytes.</summary>
    public long PeakResidentBytes()
    {
        foreach (var line in File.ReadAllLines($"/proc/{process!.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmHWM in /proc/PID/status");
    }

    public HttpClient Anonymous() => new(PinnedCertificate.Handler(CertificatePath)) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };

    public HttpClient Admin()
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>A simulated device (C# keys, real HTTP) that the admin accepted and that is authenticated.</summary>
    public async Task<SimulatedDevice> AcceptedDeviceAsync()
    {
        var device = new SimulatedDevice(Anonymous());
        using (var first = await device.RequestAuthAsync())
        {
            first.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using var admin = Admin();
        var (deviceId, authSetId) = await TestServer.FindDeviceAsync(admin, device);
        using (var accept = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "accepted" }))
        {
            accept.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        await device.AuthenticateAsync();
        device.Id = deviceId;
        return device;
    }

    /// <summary>A branch's status as the server reports it.</summary>
    public async Task<JsonElement> BranchAsync(string branch)
    {
        using var admin = Admin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/gitfleet/branches/{branch}");
    }

    /// <summary>Polls the branch status until <paramref name="done"/> holds (the watcher polls every second).</summary>
    public async Task<JsonElement> WaitForBranchAsync(string branch, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        JsonElement status = default;
        while (DateTime.UtcNow < deadline)
        {
            ShouldBeRunning($"while waiting for branch '{branch}'");
            using var admin = Admin();
            using var response = await admin.GetAsync($"/api/management/v1/gitfleet/branches/{branch}");
            if (response.IsSuccessStatusCode)
            {
                status = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (done(status))
                {
                    return status;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"branch '{branch}' did not reach the expected state; last status: {status}\nserver output:\n{process!.Tail()}");
    }

    public static bool Condition(JsonElement status, string type) =>
        status.GetProperty("conditions").EnumerateArray().Any(c => c.GetProperty("type").GetString() == type && c.GetProperty("status").GetBoolean());

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        data.Dispose();
    }

    [GeneratedRegex(@"listening on (https://[0-9.]+:[0-9]+)")]
    private static partial Regex ListeningPattern();

    [GeneratedRegex(@"TLS certificate[^:]*: (\S+)")]
    private static partial Regex CertificatePattern();
}
