using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Gitfleet.TestSupport.Device;
using Gitfleet.TestSupport.Processes;

namespace Gitfleet.TestSupport.Haproxy;

/// <summary>
/// Debian's HAProxy in front of server replicas, as docs/operations.md sets it up: TCP mode (TLS passes through to
/// the replicas, which share one certificate), round robin, and an HTTPS health check of <c>/health/ready</c> on
/// each backend so a replica that is not ready (or gone) gets no traffic. Runs in the foreground (<c>-db</c>) from a
/// config file in a temp dir; killed and removed on dispose, and by a watchdog if the test process is killed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HaproxyProcess : IDisposable
{
    public const string Binary = "/usr/sbin/haproxy";
    private readonly TempDirectory directory;
    private readonly BackgroundProcess process;
    private readonly ProcessWatchdog watchdog;

    private HaproxyProcess(TempDirectory directory, BackgroundProcess process, ProcessWatchdog watchdog, int port)
    {
        this.directory = directory;
        this.process = process;
        this.watchdog = watchdog;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The front end's address (the replicas' TLS certificate names 127.0.0.1).</summary>
    public Uri BaseUri => new($"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    public string Output => process.Output;

    public static string? Unavailable() => File.Exists(Binary) ? null : "HAProxy is not installed (scripts/prerequisites.sh installs haproxy)";

    /// <summary>The documented configuration (docs/operations.md): the tests run this file, not a copy of it.</summary>
    /// <summary>
    /// HAProxy needs two file descriptors a connection and refuses to start when it cannot raise its limit that far;
    /// the documented 20,000 connections need 40,020, more than this machine's 20,000, and a test needs few.
    /// </summary>
    public const int LocalMaxConnections = 4000;

    public static string ExampleConfig => Path.Combine(DeviceSources.RepositoryRoot, "examples", "haproxy", "gitfleet.cfg");

    /// <summary>
    /// The configuration HAProxy runs with: <see cref="ExampleConfig"/> with its comments and example servers
    /// dropped, at most <see cref="LocalMaxConnections"/> connections, the front end bound to 127.0.0.1:<paramref name="port"/>, <paramref name="backends"/> as the
    /// servers, and the health check every <paramref name="checkInterval"/> marking a replica down at its first
    /// failure (the documented 1 s and two failures would only make the tests wait longer).
    /// </summary>
    public static string Configuration(int port, IReadOnlyList<(string Name, int Port)> backends, TimeSpan checkInterval)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var interval = ((int)checkInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        foreach (var line in File.ReadLines(ExampleConfig))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('#') || trimmed.StartsWith("server ", StringComparison.Ordinal))
            {
                continue;
            }

            text.Append(line.TrimEnd() switch
            {
                "    bind :443" => $"    bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
                "    maxconn 20000" => $"    maxconn {LocalMaxConnections.ToString(CultureInfo.InvariantCulture)}",
                var other => other.Replace(" inter 1s fall 2 ", $" inter {interval} fall 1 ", StringComparison.Ordinal),
            }).Append('\n');
        }

        var config = text.ToString();
        if (!config.Contains($"bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
            || !config.Contains($" inter {interval} fall 1 ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{ExampleConfig} no longer has the 'bind :443' and 'inter 1s fall 2' lines the tests replace");
        }

        foreach (var (name, backendPort) in backends)
        {
            text.Append(CultureInfo.InvariantCulture, $"    server {name} 127.0.0.1:{backendPort}\n");
        }

        return text.ToString();
    }

    /// <summary>Starts HAProxy on a free port in front of <paramref name="backends"/> (replica name, HTTPS port).</summary>
    public static async Task<HaproxyProcess> StartAsync(IReadOnlyList<(string Name, int Port)> backends, TimeSpan? checkInterval = null)
    {
        if (Unavailable() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        for (var attempt = 1; ; attempt++)
        {
            var directory = new TempDirectory("gitfleet-haproxy");
            var port = FreePort.Next();
            var config = directory.Write("haproxy.cfg", Configuration(port, backends, checkInterval ?? TimeSpan.FromMilliseconds(500)));
            var process = new BackgroundProcess(Binary, ["-f", config, "-db"]);
            var watchdog = new ProcessWatchdog($"kill -9 {process.Id.ToString(CultureInfo.InvariantCulture)}; rm -rf {ProcessWatchdog.Quote(directory.Path)}");
            var haproxy = new HaproxyProcess(directory, process, watchdog, port);
            if (await haproxy.WaitListeningAsync(TimeSpan.FromSeconds(10)))
            {
                return haproxy;
            }

            var output = process.Output;
            haproxy.Dispose();
            if (attempt >= 5 || !output.Contains("cannot bind", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"HAProxy did not start:\n{output}");
            }
        }
    }

    private async Task<bool> WaitListeningAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    public void Dispose()
    {
        process.Dispose();
        watchdog.Dispose();
        directory.Dispose();
    }
}
