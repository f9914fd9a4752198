using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Bench.Load;

/// <summary>
/// The inventory each of bench/million.sh's devices reported once (18 attributes, as a Debian device with
/// mender-client 3.4's inventory scripts and gitfleet-device reports them: docs/device.md, the simulator's
/// InventoryReport): device_type, artifact_name and rootfs-image.version as the check-ins provide them, the client
/// version, hostname, network interfaces with their MACs and addresses (unique per device), os, kernel
/// (/proc/version, as mender-inventory-hostinfo reports it: about 190 characters), cpu_model, mem_total_kB,
/// uptime, and Gitfleet's own facts. Values shared across the fleet come from small sets (three kernels, two
/// Debian releases, three memory sizes, eight configurations), the way a real fleet varies; each row still holds
/// its own copy of the text, as a device's PUT writes it.
/// </summary>
internal static class MillionInventory
{
    public const string DeviceType = "pi4-v3-arm64";
    public const string Image = "bench-os-1";

    private static readonly string[] Kernels =
    [
        "Linux version 5.15.32-v8+ (dom@buildbot) (aarch64-linux-gnu-gcc-8 (Ubuntu/Linaro 8.4.0-3ubuntu1) 8.4.0, GNU ld (GNU Binutils for Ubuntu) 2.34) #1538 SMP PREEMPT Thu Mar 31 19:40:39 BST 2022",
        "Linux version 6.1.21-v8+ (dom@buildbot) (aarch64-linux-gnu-gcc-8 (Ubuntu/Linaro 8.4.0-3ubuntu1) 8.4.0, GNU ld (GNU Binutils for Ubuntu) 2.34) #1642 SMP PREEMPT Mon Apr  3 17:24:16 BST 2023",
        "Linux version 6.1.0-rpi7-rpi-v8 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT Debian 1:6.1.63-1+rpt1 (2023-11-24)",
    ];

    private static readonly string[] Releases = ["Debian GNU/Linux 11 (bullseye)", "Debian GNU/Linux 12 (bookworm)"];
    private static readonly string[] MemoryKiB = ["3882384", "7998392", "1917292"];
    private static readonly string[] Checksums = [.. Enumerable.Range(0, 8).Select(c => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"configuration-{c}"))))];
    private static readonly string[] Interfaces = ["eth0", "wlan0"];

    /// <summary>Device <paramref name="index"/>'s inventory, in the order its PUT sends it.</summary>
    public static List<KeyValuePair<string, IReadOnlyList<string>>> For(int index, string hostname) =>
        new (string Name, IReadOnlyList<string> Values)[]
        {
            ("device_type", [DeviceType]), ("artifact_name", [Image]), ("rootfs-image.version", [Image]), ("mender_client_version", ["3.4.0"]),
            ("hostname", [hostname]), ("network_interfaces", Interfaces), ("mac_eth0", [Mac(0xdc, index)]), ("mac_wlan0", [Mac(0xe4, index)]),
            ("ipv4_eth0", [Ipv4(10, index, 8)]), ("ipv4_wlan0", [Ipv4(100, index + (64 << 16), 10)]),
            ("os", [Releases[index % 5 == 0 ? 1 : 0]]), ("kernel", [Kernels[index % Kernels.Length]]), ("cpu_model", ["Cortex-A72 (ARMv8 Processor rev 3)"]),
            ("mem_total_kB", [MemoryKiB[index % 7 % MemoryKiB.Length]]), ("uptime_seconds", [((index * 7919L) % 2_592_000).ToString(CultureInfo.InvariantCulture)]),
            ("gitfleet_device_version", ["0.1.0"]), ("gitfleet_os_image", [Image]), ("gitfleet_config_checksum", [Checksums[index % Checksums.Length]]),
        }.Select(a => new KeyValuePair<string, IReadOnlyList<string>>(a.Name, a.Values)).ToList();

    private static string Mac(int vendor, int i) => string.Create(CultureInfo.InvariantCulture, $"{vendor:x2}:a6:32:{i >> 16 & 255:x2}:{i >> 8 & 255:x2}:{i & 255:x2}");

    private static string Ipv4(int first, int i, int prefix) => string.Create(CultureInfo.InvariantCulture, $"{first}.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/{prefix}");
}
