using System.Text.Json;
using Gitfleet.Git;
using Gitfleet.TestSupport.Mender;
using Shouldly;

namespace Gitfleet.TestSupport.Device;

/// <summary>
/// The real Debian mender-client, run in a private mount namespace so /etc/mender and /usr/share/mender are this
/// sandbox's (with Gitfleet's modules and inventory scripts from the source tree); its data dir is the sandbox's.
/// The modules inherit the environment, which points the rest of their paths into the sandbox. Standalone
/// (install/commit/rollback) by default; with a server, the daemon with D-Bus enabled.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MenderClient
{
    public const string DeviceType = "gitfleet-test";

    /// <summary>One device key for all test devices: generating RSA-3072 keys costs each daemon seconds.</summary>
    private static readonly Lazy<Task<string>> SharedDeviceKey = new(async () =>
    {
        var result = await ProcessRunner.RunAsync("openssl", ["genrsa", "-traditional", "3072"]);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput;
    });

    private readonly DeviceSandbox sandbox;
    private readonly MenderClientOptions options;

    public MenderClient(DeviceSandbox sandbox, string provisionedImage, Uri? server = null)
        : this(sandbox, new MenderClientOptions { ProvisionedImage = provisionedImage, Server = server })
    {
    }

    public MenderClient(DeviceSandbox sandbox, MenderClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(options);
        this.sandbox = sandbox;
        this.options = options;
        sandbox.SetArtifactInfo(options.ProvisionedImage);
        File.WriteAllText(Path.Combine(sandbox.MenderData, "device_type"), $"device_type={options.DeviceType}\n");
        var conf = new Dictionary<string, object>
        {
            ["DeviceTypeFile"] = Path.Combine(sandbox.MenderData, "device_type"),
            ["DBus"] = new Dictionary<string, bool> { ["Enabled"] = options.Server is not null },
        };
        if (options.Server is { } server)
        {
            conf["ServerURL"] = server.ToString().TrimEnd('/');
            conf["UpdatePollIntervalSeconds"] = options.UpdatePollSeconds;
            conf["InventoryPollIntervalSeconds"] = options.InventoryPollSeconds;
            conf["RetryPollIntervalSeconds"] = options.RetryPollSeconds;
        }

        if (options.ServerCertificate is { } certificate)
        {
            conf["ServerCertificate"] = certificate;
        }

        File.WriteAllText(Path.Combine(sandbox.EtcMender, "mender.conf"), JsonSerializer.Serialize(conf));
        var modules = sandbox.ModulesDirectory;
        Directory.CreateDirectory(modules);
        foreach (var module in options.DeltaModule ? ["mender-configure", "gitfleet-ab", "gitfleet-delta"] : new[] { "mender-configure", "gitfleet-ab" })
        {
            File.CreateSymbolicLink(Path.Combine(modules, module), DeviceSources.Module(module));
        }

        var inventory = sandbox.Combine("share-mender", "inventory");
        Directory.CreateDirectory(inventory);
        foreach (var script in new[] { "mender-inventory-gitfleet", "mender-inventory-mender-configure", "mender-inventory-provides" })
        {
            File.CreateSymbolicLink(Path.Combine(inventory, script), DeviceSources.InventoryScript(script));
        }

        if (options.InstallHooks)
        {
            foreach (var hook in Directory.GetFiles(Path.Combine(DeviceSources.DeviceDirectory, "hooks")))
            {
                File.CreateSymbolicLink(Path.Combine(sandbox.HooksDirectory, Path.GetFileName(hook)), hook);
            }
        }

        var identity = options.Identity ?? new Dictionary<string, string> { ["mac"] = $"02:00:00:{Random.Shared.Next(0x1000000):x6}" };
        MenderNamespace.WriteExecutable(sandbox.Combine("share-mender", "identity", "mender-device-identity"), MenderNamespace.KeyValueScript(identity));
    }

    public MenderClientOptions Options => options;

    public Task<ProcessResult> InstallAsync(string artifact) => RunAsync("install", artifact);

    public Task<ProcessResult> CommitAsync() => RunAsync("commit");

    public Task<ProcessResult> RollbackAsync() => RunAsync("rollback");

    public async Task<Dictionary<string, string>> ShowProvidesAsync()
    {
        var result = await RunAsync("show-provides");
        result.ExitCode.ShouldBe(0, result.StandardError);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    public Task<ProcessResult> RunAsync(params string[] command) =>
        ProcessRunner.RunAsync("unshare", Arguments(command), sandbox.Root, Environment(), timeout: TimeSpan.FromMinutes(2));

    /// <summary>Runs another program in the device's namespace (an inventory script as the client would, say).</summary>
    public Task<ProcessResult> RunInNamespaceAsync(string program, params string[] arguments) =>
        ProcessRunner.RunAsync("unshare", InNamespace([program, .. arguments]), sandbox.Root, Environment(), timeout: TimeSpan.FromMinutes(2));

    /// <summary>Starts `mender daemon` with the system bus at <paramref name="systemBusAddress"/>.</summary>
    public async Task<BackgroundProcess> StartDaemonAsync(string systemBusAddress)
    {
        await File.WriteAllTextAsync(Path.Combine(sandbox.MenderData, "mender-agent.pem"), options.PrivateKeyPem ?? await SharedDeviceKey.Value);
        var environment = Environment();
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = systemBusAddress;
        return new BackgroundProcess("unshare", Arguments(["daemon"]), environment);
    }

    /// <summary>
    /// Starts the daemon and waits until <paramref name="ready"/> (the server saw its inventory, say). The Debian
    /// mender 3.4 binary (Go 1.19) was seen once in CI (2026-12-07) to die in its Go runtime at start, before any
    /// request, while it forked a script; such a start is tried once more. Anything else that keeps the daemon from
    /// getting ready fails with the cause of a crash first, then the daemon's output.
    /// </summary>
    public async Task<BackgroundProcess> StartDaemonUntilAsync(string systemBusAddress, Func<bool> ready, TimeSpan patience, string waitingFor)
    {
        ArgumentNullException.ThrowIfNull(ready);
        for (var attempt = 1; ; attempt++)
        {
            var daemon = await StartDaemonAsync(systemBusAddress);
            await Wait.UntilAsync(() => ready() || daemon.HasExited, patience,
                () => $"the daemon did not send {waitingFor} within {patience}; output:\n{daemon.Output}");
            if (ready())
            {
                return daemon;
            }

            var crash = daemon.GoRuntimeCrash();
            var output = daemon.Output;
            daemon.Dispose();
            if (crash is null || attempt == 2)
            {
                throw new InvalidOperationException(
                    $"the daemon exited before {waitingFor}{(crash is null ? "" : $" (its Go runtime died: {crash})")}; output:\n{output}");
            }

            await Console.Error.WriteLineAsync($"mender daemon died in its Go runtime at start ({crash}); starting it once more");
        }
    }

    private Dictionary<string, string?> Environment()
    {
        var environment = sandbox.Environment();
        // As on a device: the scripts find the data dir from their file tree or from the mender process that
        // runs them, and artifact_info at its fixed path.
        environment["GITFLEET_MENDER_DATA"] = null;
        environment["GITFLEET_ARTIFACT_INFO"] = null;
        return environment;
    }

    private string[] Arguments(string[] command) => InNamespace(["mender", "--no-syslog", "--data", sandbox.MenderData, .. command]);

    private string[] InNamespace(string[] command) =>
        MenderNamespace.Arguments([(sandbox.EtcMender, "/etc/mender"), (sandbox.Combine("share-mender"), "/usr/share/mender")], command);
}
