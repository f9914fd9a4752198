using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gitfleet.TestSupport.Device;

namespace Gitfleet.TestSupport.Delivery;

/// <summary>
/// Debian's nginx run for real in a temp dir, serving a Gitfleet artifact directory with the project's documented
/// configuration (examples/nginx/gitfleet-downloads.conf: only path, secret and port replaced), on a free port of
/// 127.0.0.1. Its access log records the bytes of every answer, so tests and benchmarks can count bytes over the air.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NginxServer : IDisposable
{
    public const string Program = "/usr/sbin/nginx";

    private readonly TempDirectory directory = new("gitfleet-nginx");
    private BackgroundProcess? process;

    private NginxServer(int port)
    {
        Port = port;
    }

    public int Port { get; }

    /// <summary>The base URL to give the Gitfleet server as download_base_url.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/gitfleet");

    public string AccessLog => directory.Combine("access.log");

    public string ErrorLog => File.Exists(directory.Combine("error.log")) ? File.ReadAllText(directory.Combine("error.log")) : "";

    /// <summary>The documented server block.</summary>
    public static string ExampleConfig => Path.Combine(DeviceSources.RepositoryRoot, "examples", "nginx", "gitfleet-downloads.conf");

    /// <summary>Why nginx cannot run here, or null.</summary>
    public static string? Unavailable() => File.Exists(Program) ? null : $"{Program} is missing (scripts/prerequisites.sh installs nginx)";

    public static async Task<NginxServer> StartAsync(string artifactsDirectory, string secret)
    {
        ArgumentNullException.ThrowIfNull(artifactsDirectory);
        ArgumentNullException.ThrowIfNull(secret);
        var nginx = new NginxServer(FreePort());
        try
        {
            await nginx.StartCoreAsync(artifactsDirectory, secret);
            return nginx;
        }
        catch
        {
            nginx.Dispose();
            throw;
        }
    }

    /// <summary>(path with query, status, body bytes sent) of every request so far.</summary>
    public IReadOnlyList<(string Path, int Status, long Bytes)> Requests() =>
        File.Exists(AccessLog)
            ? File.ReadAllLines(AccessLog).Select(l => l.Split(' ')).Where(p => p.Length == 3)
                .Select(p => (p[0], int.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture))).ToList()
            : [];

    public void Dispose()
    {
        process?.Dispose();
        directory.Dispose();
    }

    private async Task StartCoreAsync(string artifactsDirectory, string secret)
    {
        var site = (await File.ReadAllTextAsync(ExampleConfig))
            .Replace("/var/lib/gitfleet/artifacts/", artifactsDirectory.TrimEnd('/') + "/", StringComparison.Ordinal)
            .Replace("CHANGE-ME-download-secret", secret, StringComparison.Ordinal)
            .Replace("listen 8080;", $"listen 127.0.0.1:{Port};", StringComparison.Ordinal);
        var root = directory.Path;
        directory.Write("site.conf", site);
        directory.Write("nginx.conf", $$"""
            daemon off;
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log warn;
            events { worker_connections 256; }
            http {
                log_format bytes '$request_uri $status $body_bytes_sent';
                access_log {{root}}/access.log bytes;
                client_body_temp_path {{root}}/client-body;
                proxy_temp_path {{root}}/proxy;
                fastcgi_temp_path {{root}}/fastcgi;
                uwsgi_temp_path {{root}}/uwsgi;
                scgi_temp_path {{root}}/scgi;
                include {{root}}/site.conf;
            }

            """);
        process = new BackgroundProcess(Program, ["-p", root, "-c", directory.Combine("nginx.conf")]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"nginx did not start on port {Port}: {process.Output}{ErrorLog}", e);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
