using System.Globalization;
using System.Text;

namespace Gitfleet.Bench.Fleet;

/// <summary>
/// Writes a large fleet repository as a user with a real fleet would have it: dynamic groups over device type, ring
/// and site (sites are children of static region groups, so group_vars apply at two depths), 3,000 host_vars files
/// (50 of them directories), overlays that select on labels merged from groups and hosts, a kiosk template that
/// differs per site (and names a URL with "gitfleet" in it) and a gateway template that reads the device id. Then
/// the facts of every device as the server's facts endpoint writes them (<see cref="FactsFileWriter"/>).
/// Deterministic: the same arguments give the same files.
/// </summary>
internal static class FleetGenerator
{
    public static int Generate(string directory, int devices, int hostVarsFiles)
    {
        var size = new FleetSize(devices, hostVarsFiles);
        foreach (var folder in new[] { "group_vars", "host_vars", "templates", "overlays" })
        {
            Directory.CreateDirectory(Path.Combine(directory, folder));
        }

        File.WriteAllText(Path.Combine(directory, "inventory.yml"), Inventory());
        WriteGroupVars(directory);
        WriteTemplates(directory);
        WriteOverlays(directory);
        var (files, directories) = WriteHostVars(directory, size);
        var expected = FactsFileWriter.Write(Path.Combine(directory, "..", Path.GetFileName(directory) + "-facts.json"), size);
        File.WriteAllText(Path.Combine(directory, "..", Path.GetFileName(directory) + "-expected.json"), expected.ToJson());
        Console.WriteLine($"{devices} devices, {files} host_vars ({directories} of them directories), {FleetShape.Types.Length} device types, "
            + $"{FleetShape.Sites} sites in {FleetShape.Regions} regions, {FleetShape.Rings.Length} rings; planted on production: {expected}");
        return 0;
    }

    private static string Inventory()
    {
        var text = new StringBuilder("all:\n  children:\n");
        foreach (var type in FleetShape.Types)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {FleetShape.Group(type)}:\n      selector:\n        matchLabels:\n          device_type: {type}\n");
        }

        foreach (var ring in FleetShape.Rings)
        {
            text.Append(CultureInfo.InvariantCulture, $"    ring_{ring}:\n      selector:\n        matchExpressions:\n          - {{key: tags.ring, operator: In, values: [{ring}]}}\n      vars:\n        subscribed_branch: {ring}\n");
        }

        for (var region = 0; region < FleetShape.Regions; region++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    region_{region}:\n      children:\n");
            for (var site = region; site < FleetShape.Sites; site += FleetShape.Regions)
            {
                text.Append(CultureInfo.InvariantCulture, $"        site_{site:D2}:\n          selector:\n            matchLabels:\n              tags.site: site-{site:D2}\n");
            }
        }

        return text.ToString();
    }

    private static void WriteGroupVars(string directory)
    {
        var all = new StringBuilder("os_image:\n");
        foreach (var type in FleetShape.Types)
        {
            all.Append(CultureInfo.InvariantCulture, $"  - device_type: {type}\n    image_name: {FleetShape.CurrentImage(type)}\n");
        }

        all.Append(CultureInfo.InvariantCulture, $"configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: {GeneratedDevice.DefaultKioskUrl}\n");
        all.Append(CultureInfo.InvariantCulture, $"monitoring_url: {FleetShape.MonitoringUrl}\nrefresh: 60\nlabels:\n  fleet: bench\n");
        Write(directory, "group_vars/all.yml", all.ToString());
        foreach (var type in FleetShape.Types)
        {
            var vars = $"hardware: {type}\n";
            if (type == FleetShape.GatewayType)
            {
                vars += "configuration:\n  template: gateway.json\n  parameters:\n    mqtt_port: 8883\n";
            }

            Write(directory, $"group_vars/{FleetShape.Group(type)}.yml", vars);
        }

        for (var region = 0; region < FleetShape.Regions; region++)
        {
            Write(directory, $"group_vars/region_{region}.yml", $"labels:\n  region: region-{region}\nntp_server: ntp-{region}.example.com\n");
        }

        for (var site = 0; site < FleetShape.Sites; site++)
        {
            var vars = $"labels:\n  site: site-{site:D2}\nsite_name: Site {site:D2}\n";
            if (site % 8 == 0)
            {
                vars += $"ntp_server: ntp-site-{site:D2}.example.com\n"; // The deeper group (site) wins over its region.
            }

            Write(directory, $"group_vars/site_{site:D2}.yml", vars);
        }
    }

    private static void WriteTemplates(string directory)
    {
        Write(directory, "templates/kiosk.json", $$$"""
            {
              "kiosk": {"url": "{{kiosk_url}}", "refresh": {{refresh}} },
              "hardware": "{{hardware}}",
              "site": "{{labels.site}}",
              "ntp_server": "{{ntp_server}}",
              "updates_url": "{{{FleetShape.UpdatesUrl}}}",
              "monitoring_url": "{{monitoring_url}}",
              "monitoring_token": "{{env "INFLUXDB_HTTP_TOKEN"}}"
            }

            """);
        Write(directory, "templates/gateway.json", """
            {
              "mqtt": {"client_id": "{{gitfleet.device_id}}", "host": "mqtt.{{labels.region}}.example.com", "port": {{mqtt_port}} },
              "hardware": "{{hardware}}",
              "site": "{{labels.site}}",
              "monitoring_url": "{{monitoring_url}}",
              "monitoring_token": "{{env "INFLUXDB_HTTP_TOKEN"}}"
            }

            """);
    }

    private static void WriteOverlays(string directory)
    {
        for (var region = 0; region < FleetShape.Regions; region++)
        {
            Write(directory, $"overlays/10-region-{region}.yml", $"selector:\n  matchLabels:\n    region: region-{region}\nvars:\n  refresh: {10 + region}\n");
        }

        // Region comes from a group's labels, tier from a host's: the overlay needs both merged.
        Write(directory, "overlays/20-premium-region-1.yml", "selector:\n  matchLabels:\n    region: region-1\n    tier: premium\nvars:\n  refresh: 5\n");
    }

    private static (int Files, int Directories) WriteHostVars(string directory, FleetSize size)
    {
        var (files, directories) = (0, 0);
        for (var k = 0; k < size.HostVarsFiles; k++)
        {
            var index = size.HostVarsDevice(k);
            if (index < 0)
            {
                continue;
            }

            var device = new GeneratedDevice(index, size);
            var configuration = device.Gateway
                ? "configuration:\n  template: gateway.json\n  parameters:\n    mqtt_port: 1883\n"
                : $"configuration:\n  template: kiosk.json\n  parameters:\n    kiosk_url: {device.HostUrl}\n";
            var labels = device.Premium ? "labels:\n  tier: premium\n" : "";
            if (device.HostVarsDirectory)
            {
                Write(directory, $"host_vars/{device.Id}/configuration.yml", configuration);
                Write(directory, $"host_vars/{device.Id}/labels.yml", labels.Length > 0 ? labels : "labels:\n  tier: standard\n");
                directories++;
            }
            else
            {
                Write(directory, $"host_vars/{device.Id}.yml", configuration + labels);
            }

            files++;
        }

        return (files, directories);
    }

    private static void Write(string directory, string path, string content)
    {
        var full = Path.Combine(directory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }
}
