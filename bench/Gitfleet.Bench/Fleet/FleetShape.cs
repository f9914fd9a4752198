namespace Gitfleet.Bench.Fleet;

/// <summary>The generated fleet's fixed parts: device types, sites, regions, images, URLs.</summary>
internal static class FleetShape
{
    public static readonly string[] Types = ["pi3-arm64", "pi4-v3-arm64", "iot-gate-imx8-arm64", "var-som-mx8m-nano-arm64-v2"];
    public static readonly string[] Rings = ["main", "canary", "production"];
    public const string GatewayType = "iot-gate-imx8-arm64";
    public const int Sites = 40;
    public const int Regions = 5;
    public const string MonitoringUrl = "https://influx.example.com";

    /// <summary>A URL with "gitfleet" in it: the word must not make a template per-device.</summary>
    public const string UpdatesUrl = "https://updates.gitfleet.example.com/kiosk/stable";

    /// <summary>The value of INFLUXDB_HTTP_TOKEN the bench plans with.</summary>
    public const string Secret = "bench-token";

    /// <summary>The image group_vars/all.yml names (bench/reconcile.sh's change replaces 2026-02-01- with 2026-03-01-).</summary>
    public static string CurrentImage(string type) => $"2026-02-01-{type}";

    public static string PreviousImage(string type) => $"2026-01-01-{type}";

    public static string Group(string type) => "type_" + type.Replace('-', '_');

    public static (string Kernel, long MemoryKiB, long DiskKiB) Hardware(string type) => type switch
    {
        "pi3-arm64" => ("Linux 6.1.0-rpi7-rpi-v8", 944_900, 15_023_104),
        "pi4-v3-arm64" => ("Linux 6.1.0-rpi7-rpi-v8", 3_884_436, 30_358_528),
        GatewayType => ("Linux 5.15.71-imx8mp", 1_990_248, 15_023_104),
        _ => ("Linux 5.15.60-var-som", 1_001_800, 7_340_032),
    };
}
