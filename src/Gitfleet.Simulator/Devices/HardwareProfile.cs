namespace Gitfleet.Simulator.Devices;

/// <summary>A few hardware inventory attributes per device type, so the inventory looks like a real board's.</summary>
internal sealed record HardwareProfile(string CpuModel, long MemoryKiB, string Kernel)
{
    private static readonly Dictionary<string, HardwareProfile> Known = new(StringComparer.Ordinal)
    {
        ["pi2-armhf"] = new("ARMv7 Processor rev 5 (v7l)", 948_056, "Linux version 5.15.32-v7+ (armv7l)"),
        ["pi3-arm64"] = new("Cortex-A53 (ARMv8 Processor rev 4)", 945_044, "Linux version 5.15.32-v8+ (aarch64)"),
        ["pi4-v3-arm64"] = new("Cortex-A72 (ARMv8 Processor rev 3)", 3_882_384, "Linux version 5.15.32-v8+ (aarch64)"),
        ["var-som-mx8m-nano-arm64-v2"] = new("Cortex-A53 (i.MX8M Nano)", 1_989_420, "Linux version 5.4.85-imx8mn (aarch64)"),
        ["iot-gate-imx8-arm64"] = new("Cortex-A53 (i.MX8M Mini)", 3_990_716, "Linux version 5.4.70-iot-gate (aarch64)"),
    };

    private static readonly HardwareProfile Generic = new("Cortex-A53 (ARMv8)", 1_000_000, "Linux version 5.15.0 (aarch64)");

    public static HardwareProfile For(string deviceType) => Known.GetValueOrDefault(deviceType, Generic);
}
