using System.Globalization;

namespace Gitfleet.Bench.Fleet;

/// <summary>
/// What the generator decides for device number <c>index</c> of a generated fleet: its type, ring, site, host_vars,
/// installed image and what it reports. Deterministic and independent of the other devices, so the facts of a
/// million devices are written as a stream.
/// </summary>
internal sealed class GeneratedDevice
{
    public const string UnmanagedType = "qemux86-64";
    public const string DefaultKioskUrl = "https://example.com/default";

    public GeneratedDevice(int index, FleetSize size)
    {
        Index = index;
        Id = IdOf(index);
        Unmanaged = IsUnmanaged(index);
        Type = Unmanaged ? UnmanagedType : FleetShape.Types[index % FleetShape.Types.Length];
        var ring = index / FleetShape.Types.Length % 100;
        Ring = ring == 0 ? "main" : ring < 10 ? "canary" : "production";
        Site = index / 7 % FleetShape.Sites;
        HostVars = size.HostVarsNumber(index);
        var random = new SplitMix(index);
        Current = random.Next() < 0.9;
        InFlight = !Current && random.Next() < 0.05;
        Drifted = Current && random.Next() < 0.02;
        Uptime = (long)(random.Next() * 90 * 86_400);
        MemoryUsed = random.Next();
        DiskUsed = random.Next();
    }

    public int Index { get; }

    public string Id { get; }

    /// <summary>A device no part of the repository names (no site, no ring, a type no group selects).</summary>
    public bool Unmanaged { get; }

    public string Type { get; }

    public string Ring { get; }

    public int Site { get; }

    public int Region => Site % FleetShape.Regions;

    public string SiteName => $"site-{Site:D2}";

    /// <summary>The number of the device's host_vars file, or null when it has none.</summary>
    public int? HostVars { get; }

    public bool HasHostVars => HostVars is not null;

    /// <summary>host_vars labels it tier: premium (every third host_vars file).</summary>
    public bool Premium => HostVars is { } k && k % 3 == 0;

    /// <summary>Its host_vars are a directory of two files (50 of 3,000).</summary>
    public bool HostVarsDirectory => HostVars is { } k && k % 60 == 0;

    public bool Gateway => Type == FleetShape.GatewayType;

    /// <summary>Runs the image the repository names (else the previous one: an OS update is planned).</summary>
    public bool Current { get; }

    /// <summary>An old-image device whose OS and configuration updates are already scheduled.</summary>
    public bool InFlight { get; }

    /// <summary>A current-image device that reports a configuration value the repository no longer has.</summary>
    public bool Drifted { get; }

    public long Uptime { get; }

    public double MemoryUsed { get; }

    public double DiskUsed { get; }

    public string InstalledImage => Current || Unmanaged ? FleetShape.CurrentImage(Type) : FleetShape.PreviousImage(Type);

    public string Hostname => $"{(Gateway ? "gw" : "kiosk")}-{Index:x6}";

    public string Mac => string.Create(CultureInfo.InvariantCulture, $"02:00:{Index >> 24 & 0xff:x2}:{Index >> 16 & 0xff:x2}:{Index >> 8 & 0xff:x2}:{Index & 0xff:x2}");

    /// <summary>The configuration the repository renders for the device on an image (what the plan must compute).</summary>
    public SortedDictionary<string, string> Configuration(string image)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Gateway)
        {
            values["mqtt.client_id"] = Id;
            values["mqtt.host"] = $"mqtt.region-{Region}.example.com";
            values["mqtt.port"] = HasHostVars ? "1883" : "8883";
        }
        else
        {
            values["kiosk.url"] = HasHostVars ? HostUrl : DefaultKioskUrl;
            values["kiosk.refresh"] = (Premium && Region == 1 ? 5 : 10 + Region).ToString(CultureInfo.InvariantCulture);
            values["ntp_server"] = Site % 8 == 0 ? $"ntp-site-{Site:D2}.example.com" : $"ntp-{Region}.example.com";
            values["updates_url"] = FleetShape.UpdatesUrl;
        }

        values["hardware"] = Type;
        values["site"] = SiteName;
        values["monitoring_url"] = FleetShape.MonitoringUrl;
        values["monitoring_token"] = FleetShape.Secret;
        values["expected_os_image"] = image;
        values["subscribed_branch"] = Ring;
        return values;
    }

    /// <summary>What the device reports as applied: the repository's configuration for its image, or a drifted one.</summary>
    public SortedDictionary<string, string>? Reported()
    {
        if (Unmanaged)
        {
            return null;
        }

        var values = Configuration(InstalledImage);
        if (Drifted)
        {
            values[Gateway ? "mqtt.port" : "kiosk.url"] = Gateway ? "1884" : "https://example.com/previous";
        }

        return values;
    }

    public string HostUrl => $"https://example.com/device/{Index}";

    public static string IdOf(int i) => $"{i:x8}-0000-4000-8000-{i:x12}";

    public static bool IsUnmanaged(int i) => i % 200 == 199;

    /// <summary>A small deterministic random sequence per device (SplitMix64).</summary>
    private struct SplitMix(int seed)
    {
        private ulong state = (ulong)seed * 0x9E3779B97F4A7C15UL + 42;

        public double Next()
        {
            var z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (z ^ (z >> 31)) / (double)ulong.MaxValue;
        }
    }
}

/// <summary>How many devices and host_vars files; which devices get host_vars.</summary>
internal sealed record FleetSize(int Devices, int HostVarsFiles)
{
    private int Stride => Math.Max(1, Devices / Math.Max(1, HostVarsFiles));

    /// <summary>The device of host_vars file k (never an unmanaged one), or -1 when there is none.</summary>
    public int HostVarsDevice(int k)
    {
        var device = k * Stride;
        if (GeneratedDevice.IsUnmanaged(device))
        {
            device = Stride > 1 ? device + 1 : -1;
        }

        return k < HostVarsFiles && device < Devices ? device : -1;
    }

    public int? HostVarsNumber(int index)
    {
        var k = index / Stride;
        return HostVarsDevice(k) == index ? k : null;
    }
}
