using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;

namespace Gitfleet.Bench.Fleet;

/// <summary>
/// Streams the facts of a generated fleet in the shape the server's facts endpoint writes them (compact JSON,
/// snake_case, every property of <see cref="DeviceFacts"/> in declaration order): every inventory attribute the
/// Mender 3.4 client and the device package report, server tags, identity, and both configuration maps.
/// Returns what a plan of the production branch must find.
/// </summary>
internal static class FactsFileWriter
{
    private static readonly DateTimeOffset CheckIns = new(2027, 1, 15, 8, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, string> ImageChecksums = [];

    public static PlantedPlan Write(string path, FleetSize size)
    {
        var planted = new PlantedPlan();
        using var file = File.Create(path, 1 << 20);
        using var writer = new Utf8JsonWriter(file);
        writer.WriteStartObject();
        writer.WriteString("schema", FactsDocument.CurrentSchema);
        writer.WriteString("generated_at", CheckIns);
        writer.WriteStartArray("devices");
        for (var i = 0; i < size.Devices; i++)
        {
            var device = new GeneratedDevice(i, size);
            WriteDevice(writer, device);
            planted.Count(device);
            if (writer.BytesPending > 1 << 20)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return planted;
    }

    private static void WriteDevice(Utf8JsonWriter writer, GeneratedDevice device)
    {
        var reported = device.Reported();
        writer.WriteStartObject();
        writer.WriteString("id", device.Id);
        writer.WriteString("status", DeviceStatus.Accepted);
        writer.WriteString("device_type", device.Type);
        writer.WriteString("artifact_name", device.InstalledImage);
        writer.WriteStartObject("identity");
        writer.WriteString("mac", device.Mac);
        writer.WriteEndObject();
        writer.WriteStartObject("tags");
        if (!device.Unmanaged)
        {
            writer.WriteString("ring", device.Ring);
            writer.WriteString("site", device.SiteName);
        }

        writer.WriteEndObject();
        WriteMap(writer, "attributes", Attributes(device, reported));
        WriteMap(writer, "reported_configuration", reported);
        WriteMap(writer, "configured_configuration", reported);
        writer.WriteString("last_check_in", CheckIns.AddSeconds(-(device.Index % 1800)));
        writer.WriteStartArray("in_flight");
        if (device.InFlight && !device.Unmanaged)
        {
            var image = FleetShape.CurrentImage(device.Type);
            WriteInFlight(writer, device, "os", "artifact_name", image);
            WriteInFlight(writer, device, "configuration", "configuration_checksum", ConfigurationChecksum.Compute(device.Configuration(image)));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The 3.4 client's own attributes, its provides, and what device/inventory/mender-inventory-gitfleet reports.</summary>
    private static List<KeyValuePair<string, string>> Attributes(GeneratedDevice device, SortedDictionary<string, string>? reported)
    {
        var (kernel, memory, disk) = FleetShape.Hardware(device.Type);
        var image = device.InstalledImage;
        var available = (long)(memory * (0.2 + 0.6 * (1 - device.MemoryUsed)));
        var free = (long)(disk * (0.1 + 0.8 * (1 - device.DiskUsed)));
        var attributes = new List<KeyValuePair<string, string>>
        {
            new("device_type", device.Type),
            new("artifact_name", image),
            new("mender_client_version", "3.4.0"),
            new("rootfs-image.version", image),
            new("rootfs-image.checksum", ImageChecksum(image)),
            new("gitfleet_device_version", "0.1.0"),
            new("os", "Debian GNU/Linux 11 (bullseye)"),
            new("os_id", "debian"),
            new("os_version_id", "11"),
            new("kernel", kernel),
            new("hostname", device.Hostname),
            new("gitfleet_os_image", image),
        };
        if (reported is not null)
        {
            attributes.Add(new("gitfleet_config_checksum", ConfigurationChecksum.Compute(reported)));
            attributes.Add(new("gitfleet_subscribed_branch", reported["subscribed_branch"]));
            attributes.Add(new("gitfleet_expected_os_image", reported["expected_os_image"]));
            attributes.Add(new("gitfleet_config_matches_os_image", reported["expected_os_image"] == image ? "true" : "false"));
        }

        attributes.Add(new("uptime_seconds", Number(device.Uptime)));
        attributes.Add(new("mem_total_kB", Number(memory)));
        attributes.Add(new("mem_available_kB", Number(available)));
        attributes.Add(new("mem_used_percent", Number((long)Math.Round(100.0 * (memory - available) / memory))));
        attributes.Add(new("disk_root_total_kB", Number(disk)));
        attributes.Add(new("disk_root_available_kB", Number(free)));
        attributes.Add(new("disk_root_used_percent", Number((long)Math.Round(100.0 * (disk - free) / disk))));
        return attributes;
    }

    private static void WriteInFlight(Utf8JsonWriter writer, GeneratedDevice device, string kind, string property, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("deployment_id", $"{kind[0]}{device.Index:x7}-1111-4111-8111-111111111111");
        writer.WriteString("kind", kind);
        writer.WriteString(property, value);
        writer.WriteString("status", kind == "os" ? "downloading" : "pending");
        writer.WriteString("created_at", CheckIns.AddHours(-1));
        writer.WriteString("commit", "4f1c2a9d0b7e0000000000000000000000000000");
        writer.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, IEnumerable<KeyValuePair<string, string>>? map)
    {
        if (map is null)
        {
            return; // The server leaves out null maps.
        }

        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string ImageChecksum(string image)
    {
        if (!ImageChecksums.TryGetValue(image, out var checksum))
        {
            checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(image)));
            ImageChecksums[image] = checksum;
        }

        return checksum;
    }
}

/// <summary>What a plan of the production branch must report for the generated facts (PlanSummary's JSON names).</summary>
internal sealed class PlantedPlan
{
    public int Subscribed { get; private set; }

    public int Unchanged { get; private set; }

    public int OsUpdates { get; private set; }

    public int ConfigurationUpdates { get; private set; }

    public int InFlight { get; private set; }

    public int Unmanaged { get; private set; }

    public void Count(GeneratedDevice device)
    {
        if (device.Unmanaged)
        {
            Unmanaged++;
            return;
        }

        if (device.Ring != "production")
        {
            return;
        }

        Subscribed++;
        if (device.InFlight)
        {
            InFlight++;
        }
        else if (!device.Current)
        {
            OsUpdates++;
            ConfigurationUpdates++; // re-sent with the OS update
        }
        else if (device.Drifted)
        {
            ConfigurationUpdates++;
        }
        else
        {
            Unchanged++;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, int>
    {
        ["subscribed"] = Subscribed,
        ["unchanged"] = Unchanged,
        ["os_updates"] = OsUpdates,
        ["configuration_updates"] = ConfigurationUpdates,
        ["in_flight"] = InFlight,
        ["aborts"] = 0,
        ["problems"] = 0,
        ["unmanaged"] = Unmanaged,
    });

    public override string ToString() =>
        $"{Subscribed} subscribed, {OsUpdates} OS updates, {ConfigurationUpdates} configuration updates, {InFlight} in flight, {Unchanged} unchanged, {Unmanaged} unmanaged";
}
