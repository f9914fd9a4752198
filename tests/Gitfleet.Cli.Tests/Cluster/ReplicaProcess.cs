using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Device;
using Gitfleet.TestSupport.Processes;

namespace Gitfleet.Cli.Tests.Cluster;

/// <summary>
/// One `gitfleet server` replica as its own process on a fixed port with its own data dir, kept across restarts,
/// so HAProxy finds it again after a rolling restart. Stopped with SIGTERM (a clean stop) or SIGKILL (a crash).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class ReplicaProcess : IDisposable
{
    private readonly TempDirectory data = new("gitfleet-replica");
    private readonly IReadOnlyList<string> arguments;
    private readonly IReadOnlyDictionary<string, string?> environment;
    private BackgroundProcess? process;

    public ReplicaProcess(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        Name = name;
        Port = FreePort.Next();
        this.arguments = arguments;
        this.environment = environment;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseUri => new($"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    public string CertificatePath => Path.Combine(data.Path, "tls", "server.crt");

    public string Output => process?.Output ?? "";

    public bool Running => process is { HasExited: false };

    /// <summary>Starts the process (again); does not wait for it to be ready.</summary>
    public void Start()
    {
        process?.Dispose();
        process = new BackgroundProcess(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "gitfleet.dll"), "server", "--data", data.Path, "--urls", BaseUri.ToString().TrimEnd('/'), "--replica-name", Name, .. arguments],
            environment);
    }

    /// <summary>kill -9: no lease released, no connection closed cleanly.</summary>
    public void Kill() => process?.Signal("KILL");

    /// <summary>SIGTERM, then waits until the process ended (a clean stop releases the lease).</summary>
    public async Task StopAsync()
    {
        if (process is null)
        {
            return;
        }

        process.Signal("TERM");
        await Wait.UntilAsync(() => process.HasExited, TimeSpan.FromSeconds(30), () => $"{Name} did not stop:\n{process.Tail()}");
    }

    /// <summary>The replica's /health/ready answer (null while it does not answer at all).</summary>
    public async Task<JsonElement?> ReadyAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(BaseUri, "/health/ready"));
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        process?.Dispose();
        data.Dispose();
    }
}
