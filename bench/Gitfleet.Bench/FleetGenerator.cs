using System.Globalization;
using System.Text;
using Gitfleet.Core.Facts;

namespace Gitfleet.Bench;

/// <summary>
/// Writes a large fleet repository (dynamic membership by device type, site and stage; a few thousand host_vars
/// files; overlays per site) and a matching facts file. Deterministic: the same arguments give the same files.
/// </summary>
internal static class FleetGenerator
{
    private static readonly string[] Types = ["pi3-arm64", "pi4-v3-arm64", "iot-gate-imx8-arm64", "var-som-mx8m-nano-arm64-v2"];
    private static readonly string[] Stages = ["main", "canary", "production"];
    private const int Sites = 40;

    public static int Generate(string directory, int devices, int hostVarsFiles)
    {
        Directory.CreateDirectory(Path.Combine(directory, "group_vars"));
        Directory.CreateDirectory(Path.Combine(directory, "host_vars"));
        Directory.CreateDirectory(Path.Combine(directory, "templates"));
        Directory.CreateDirectory(Path.Combine(directory, "overlays"));

        var inventory = new StringBuilder("all:\n  children:\n");
        foreach (var type in Types)
        {
            inventory.Append(CultureInfo.InvariantCulture, $"    {Group(type)}:\n      selector:\n        matchLabels:\n          device_type: {type}\n");
            File.WriteAllText(Path.Combine(directory, "group_vars", Group(type) + ".yml"), $"hardware: {type}\n");
        }

        for (var site = 0; site < Sites; site++)
        {
            inventory.Append(CultureInfo.InvariantCulture, $"    site_{site:D2}:\n      selector:\n        matchLabels:\n          tags.site: site-{site:D2}\n");
            File.WriteAllText(Path.Combine(directory, "group_vars", $"site_{site:D2}.yml"), $"labels:\n  site: site-{site:D2}\n  region: region-{site % 5}\n");
        }

        foreach (var stage in Stages)
        {
            inventory.Append(CultureInfo.InvariantCulture, $"    stage_{stage}:\n      selector:\n        matchExpressions:\n          - {{key: tags.stage, operator: In, values: [{stage}]}}\n      vars:\n        subscribed_branch: {stage}\n");
        }

        File.WriteAllText(Path.Combine(directory, "inventory.yml"), inventory.ToString());
        var images = new StringBuilder("os_image:\n");
        foreach (var type in Types)
        {
            images.Append(CultureInfo.InvariantCulture, $"  - device_type: {type}\n    image_name: {Image(type, 2)}\n");
        }

        images.Append("configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: https://example.com/default\nmonitoring_url: https://influx.example.com\nrefresh: 60\n");
        File.WriteAllText(Path.Combine(directory, "group_vars", "all.yml"), images.ToString());
        File.WriteAllText(Path.Combine(directory, "templates", "kiosk.json"),
            "{\n  \"kiosk_url\": \"{{kiosk_url}}\",\n  \"refresh\": {{refresh}},\n  \"hardware\": \"{{hardware}}\",\n  \"monitoring_url\": \"{{monitoring_url}}\",\n  \"monitoring_token\": \"{{env \"INFLUXDB_HTTP_TOKEN\"}}\"\n}\n");
        for (var region = 0; region < 5; region++)
        {
            File.WriteAllText(Path.Combine(directory, "overlays", $"region-{region}.yml"),
                $"selector:\n  matchLabels:\n    region: region-{region}\nvars:\n  refresh: {10 + region}\n");
        }

        var facts = new List<DeviceFacts>(devices);
        var random = new Random(42);
        for (var i = 0; i < devices; i++)
        {
            var id = Id(i);
            var type = Types[i % Types.Length];
            var stage = i % 100 == 0 ? "main" : i % 10 == 0 ? "canary" : "production";
            var site = $"site-{i % Sites:D2}";
            var current = random.NextDouble() < 0.9;
            var image = Image(type, current ? 2 : 1);
            facts.Add(new DeviceFacts
            {
                Id = id,
                DeviceType = type,
                ArtifactName = image,
                Identity = new Dictionary<string, string> { ["mac"] = $"02:00:{i >> 24 & 0xff:x2}:{i >> 16 & 0xff:x2}:{i >> 8 & 0xff:x2}:{i & 0xff:x2}" },
                Tags = new Dictionary<string, string> { ["site"] = site, ["stage"] = stage },
                Attributes = new Dictionary<string, string> { ["rootfs-image.version"] = image },
                ReportedConfiguration = current
                    ? new Dictionary<string, string>
                    {
                        ["kiosk_url"] = "https://example.com/default",
                        ["refresh"] = (10 + (i % Sites) % 5).ToString(CultureInfo.InvariantCulture),
                        ["hardware"] = type,
                        ["monitoring_url"] = "https://influx.example.com",
                        ["monitoring_token"] = "bench-token",
                        ["expected_os_image"] = image,
                        ["subscribed_branch"] = stage,
                    }
                    : null,
                LastCheckIn = DateTimeOffset.UnixEpoch.AddSeconds(1_800_000_000 + i),
            });
        }

        for (var i = 0; i < hostVarsFiles; i++)
        {
            var device = i * (devices / Math.Max(1, hostVarsFiles));
            File.WriteAllText(Path.Combine(directory, "host_vars", Id(device) + ".yml"),
                $"configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: https://example.com/device/{device}\n");
        }

        using (var output = File.Create(Path.Combine(directory, "..", Path.GetFileName(directory) + "-facts.json")))
        {
            new FactsDocument { Devices = facts }.WriteAsync(output, CancellationToken.None).GetAwaiter().GetResult();
        }

        Console.WriteLine($"{devices} devices, {hostVarsFiles} host_vars files, {Types.Length} device types, {Sites} sites, {Stages.Length} stages");
        return 0;
    }

    private static string Group(string type) => "type_" + type.Replace('-', '_');

    private static string Image(string type, int version) => $"2026-0{version}-01-{type}";

    private static string Id(int i) => $"{i:x8}-0000-4000-8000-{i:x12}";
}
