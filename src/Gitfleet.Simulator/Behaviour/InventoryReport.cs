using System.Text.Json;
using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>
/// The inventory a simulated device PUTs, shaped like a Debian device with the Mender client and gitfleet-device:
/// device_type, artifact_name, the provides (rootfs-image.version, ...), a few hardware attributes, and Gitfleet's
/// facts about the applied configuration (docs/device.md).
/// </summary>
internal static class InventoryReport
{
    public const string ClientVersion = "3.4.0";
    public const string DevicePackageVersion = "0.1.0";

    private static readonly Dictionary<string, string> EmptyAttributes = [];

    public static byte[] Build(
        InstalledState installed, IReadOnlyDictionary<string, string> identity, TimeSpan uptime, IReadOnlyDictionary<string, string>? extra = null, bool appliesDeltas = false)
    {
        var hardware = HardwareProfile.For(installed.DeviceType);
        return InstalledState.Json(writer =>
        {
            writer.WriteStartArray();
            Attribute(writer, "device_type", installed.DeviceType);
            Attribute(writer, "artifact_name", installed.ArtifactName);
            foreach (var (name, value) in installed.Provides)
            {
                Attribute(writer, name, value);
            }

            foreach (var (name, value) in extra ?? EmptyAttributes)
            {
                Attribute(writer, name, value);
            }

            Attribute(writer, "mender_client_version", ClientVersion);
            Attribute(writer, "hostname", identity.GetValueOrDefault("hostname") ?? identity.GetValueOrDefault("serial") ?? identity.Values.FirstOrDefault() ?? "device");
            if (identity.TryGetValue("mac", out var mac))
            {
                Attribute(writer, "mac_eth0", mac);
            }

            Attribute(writer, "os", "Debian GNU/Linux 11 (bullseye)");
            Attribute(writer, "kernel", hardware.Kernel);
            Attribute(writer, "cpu_model", hardware.CpuModel);
            writer.WriteStartObject();
            writer.WriteString("name", "mem_total_kB");
            writer.WriteNumber("value", hardware.MemoryKiB);
            writer.WriteEndObject();
            writer.WriteStartObject();
            writer.WriteString("name", "uptime_seconds");
            writer.WriteNumber("value", (long)uptime.TotalSeconds);
            writer.WriteEndObject();
            Attribute(writer, "gitfleet_device_version", DevicePackageVersion);
            Attribute(writer, "gitfleet_os_image", installed.RunningImage);
            if (appliesDeltas)
            {
                Attribute(writer, Core.Delivery.DeltaSupport.FormatsAttribute, Core.Delivery.DeltaSupport.Xdelta3);
            }

            if (installed.Configuration is { } configuration)
            {
                Attribute(writer, "gitfleet_config_checksum", installed.ConfigurationChecksum!);
                var expected = configuration.GetValueOrDefault("expected_os_image");
                if (configuration.TryGetValue("subscribed_branch", out var branch))
                {
                    Attribute(writer, "gitfleet_subscribed_branch", branch);
                }

                if (expected is not null)
                {
                    Attribute(writer, "gitfleet_expected_os_image", expected);
                }

                Attribute(writer, "gitfleet_config_matches_os_image", string.IsNullOrEmpty(expected) || expected == installed.RunningImage ? "true" : "false");
            }

            writer.WriteEndArray();
        });
    }

    /// <summary>The applied configuration as deviceconfig takes it: a flat JSON object.</summary>
    public static byte[] Configuration(IReadOnlyDictionary<string, string> configuration) => InstalledState.Json(writer =>
    {
        writer.WriteStartObject();
        foreach (var (key, value) in configuration.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    });

    private static void Attribute(Utf8JsonWriter writer, string name, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("value", value);
        writer.WriteEndObject();
    }
}
