using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gitfleet.TestSupport.Mender;

/// <summary>
/// Runs several real Debian mender-client 3.4 daemons against one server, each in its own mount namespace
/// (private /etc/mender, /usr/share/mender and single-file destination), as observed to work in
/// shared/notes/mender-client.md. Needs root, <c>unshare</c> and <c>mender</c>; <see cref="Unavailable"/> says why not.
/// </summary>
public sealed class MenderClientHarness : IAsyncDisposable
{
    /// <summary>The path single-file artifacts should install into: each device sees its own directory here.</summary>
    public const string SharedDestination = "/tmp/gitfleet-mender-destination";

    private readonly string serverUrl;
    private readonly string certificatePath;
    private readonly TempDirectory root = new("gitfleet-mender");
    private readonly List<MenderDevice> devices = [];

    public MenderClientHarness(string serverUrl, string certificatePath)
    {
        this.serverUrl = serverUrl.TrimEnd('/');
        this.certificatePath = certificatePath;
        Directory.CreateDirectory(SharedDestination);
    }

    public IReadOnlyList<MenderDevice> Devices => devices;

    /// <summary>Null when the harness can run here, else the reason (for skipping tests with a message).</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the real mender-client needs Linux";
        }

        if (Environment.UserName != "root")
        {
            return "mount namespaces for mender-client need root";
        }

        foreach (var tool in new[] { "/usr/bin/mender", "/usr/bin/unshare", "/usr/bin/mender-artifact" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} is missing (scripts/prerequisites.sh installs it)";
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<MenderDevice>> StartAsync(IEnumerable<MenderDeviceOptions> options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = new List<MenderDevice>();
        foreach (var option in options)
        {
            started.Add(await StartAsync(option, cancellationToken).ConfigureAwait(false));
        }

        return started;
    }

    public Task<MenderDevice> StartAsync(MenderDeviceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dir = root.Combine(options.Name);
        var etc = Path.Combine(dir, "etc-mender");
        var share = Path.Combine(dir, "share-mender");
        var data = Path.Combine(dir, "data");
        var destination = Path.Combine(dir, "destination");
        foreach (var path in new[] { etc, Path.Combine(share, "identity"), Path.Combine(share, "inventory"), Path.Combine(share, "modules", "v3"), data, destination })
        {
            Directory.CreateDirectory(path);
        }

        foreach (var module in Directory.GetFiles("/usr/share/mender/modules/v3"))
        {
            File.Copy(module, Path.Combine(share, "modules", "v3", Path.GetFileName(module)), overwrite: true);
        }

        foreach (var (name, script) in options.Modules)
        {
            MenderNamespace.WriteExecutable(Path.Combine(share, "modules", "v3", name), script);
        }

        if (options.PrivateKeyPem is { } key)
        {
            File.WriteAllText(Path.Combine(data, "mender-agent.pem"), key);
        }

        File.WriteAllText(Path.Combine(etc, "artifact_info"), $"artifact_name={options.ArtifactName}\n");
        File.WriteAllText(Path.Combine(dir, "device_type"), $"device_type={options.DeviceType}\n");
        var identity = options.Identity ?? new Dictionary<string, string> { ["mac"] = MacFor(options.Name) };
        MenderNamespace.WriteExecutable(Path.Combine(share, "identity", "mender-device-identity"), MenderNamespace.KeyValueScript(identity));
        MenderNamespace.WriteExecutable(Path.Combine(share, "inventory", "mender-inventory-gitfleet"), MenderNamespace.KeyValueScript(options.Inventory));
        var config = Path.Combine(dir, "mender.conf");
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["ServerURL"] = serverUrl,
            ["ServerCertificate"] = certificatePath,
            ["UpdatePollIntervalSeconds"] = options.UpdatePollSeconds,
            ["InventoryPollIntervalSeconds"] = options.InventoryPollSeconds,
            ["RetryPollIntervalSeconds"] = options.RetryPollSeconds,
            ["DeviceTypeFile"] = Path.Combine(dir, "device_type"),
            ["DBus"] = new Dictionary<string, bool> { ["Enabled"] = false },
        }));
        var log = Path.Combine(dir, "mender.log");
        var arguments = MenderNamespace.Arguments(
            [(etc, "/etc/mender"), (share, "/usr/share/mender"), (destination, SharedDestination)],
            ["mender", "--config", config, "--fallback-config", Path.Combine(dir, "none.conf"), "--data", data, "--no-syslog", "daemon"],
            log);
        var start = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("unshare did not start");
        var device = new MenderDevice(options, process, dir, destination, log, identity);
        devices.Add(device);
        return Task.FromResult(device);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(devices.Select(d => d.StopAsync())).ConfigureAwait(false);
        root.Dispose();
    }

    /// <summary>A stable, locally administered MAC address per name.</summary>
    public static string MacFor(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return string.Join(':', new[] { (byte)0x02 }.Concat(hash.Take(5)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
