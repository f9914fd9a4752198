using Gitfleet.TestSupport.Device;

namespace Gitfleet.EndToEnd.Tests.Support;

/// <summary>
/// One device of the fleet: the real `mender daemon` with the device package (configuration module, playbook hook,
/// inventory scripts, gitfleet-ab), in its own sandbox and mount namespace, with its own private system bus (the
/// configuration reporter asks the client for its token over D-Bus).
/// </summary>
public sealed class LiveDevice : IDisposable
{
    /// <summary>Where the kiosk playbook writes the URL (the playbook reads the directory from the environment).</summary>
    public const string KioskFileName = "kiosk-url";

    private readonly PrivateSystemBus bus;
    private readonly BackgroundProcess daemon;

    private LiveDevice(string name, string branch, DeviceSandbox sandbox, MenderClient client, PrivateSystemBus bus, BackgroundProcess daemon)
    {
        Name = name;
        Branch = branch;
        Sandbox = sandbox;
        Client = client;
        this.bus = bus;
        this.daemon = daemon;
    }

    /// <summary>The device's name in the fleet repository (declared there by its identity).</summary>
    public string Name { get; }

    /// <summary>The stage the fleet repository subscribes it to.</summary>
    public string Branch { get; }

    public string DeviceType => Client.Options.DeviceType;

    public string Mac => Client.Options.Identity!["mac"];

    public DeviceSandbox Sandbox { get; }

    public MenderClient Client { get; }

    /// <summary>The server's id of the device, once it is known.</summary>
    public string? Id { get; set; }

    /// <summary>What the kiosk playbook wrote last (null: it never ran).</summary>
    public string? KioskUrl
    {
        get
        {
            var path = Path.Combine(Sandbox.StateDirectory, KioskFileName);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
    }

    /// <summary>The image of the active gitfleet-ab slot (null before the first OS update).</summary>
    public string? ActiveImage
    {
        get
        {
            var path = Path.Combine(Sandbox.AbRoot, "active", "image");
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
    }

    /// <param name="provision">Prepares the device's files (its A/B slots, say) before the daemon starts.</param>
    public static async Task<LiveDevice> StartAsync(string name, string branch, MenderClientOptions options, Action<DeviceSandbox>? provision = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sandbox = new DeviceSandbox();
        try
        {
            provision?.Invoke(sandbox);
            var client = new MenderClient(sandbox, options with { InstallHooks = true });
            var bus = await PrivateSystemBus.StartAsync(sandbox.Root);
            var daemon = await client.StartDaemonAsync(bus.Address);
            return new LiveDevice(name, branch, sandbox, client, bus, daemon);
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>SIGUSR1: the daemon checks for an update now instead of at its next poll.</summary>
    public void CheckForUpdate()
    {
        if (!daemon.HasExited)
        {
            daemon.Signal("USR1");
        }
    }

    /// <summary>
    /// The end of the client's log (module and hook output included) without its idle polling lines, and what the
    /// device shows, for failure messages.
    /// </summary>
    public string LogTail(int lines = 40)
    {
        var meaningful = daemon.Output.Split('\n').Where(line => !IdleNoise.Any(noise => line.Contains(noise, StringComparison.Ordinal))).ToList();
        return $"--- {Name} ({DeviceType}, {Branch}, id {Id ?? "unknown"}){(daemon.HasExited ? " EXITED" : "")}: " +
            $"kiosk URL {KioskUrl ?? "none"}, active image {ActiveImage ?? "provisioned"}\n" +
            string.Join('\n', meaningful.TakeLast(lines));
    }

    private static readonly string[] IdleNoise = ["-> check-wait [Idle]", "check-wait [Idle] ->", "This is a fallback"];

    public void Dispose()
    {
        daemon.Dispose();
        bus.Dispose();
        Sandbox.Dispose();
    }
}
