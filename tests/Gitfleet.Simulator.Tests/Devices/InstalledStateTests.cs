using Gitfleet.Simulator.Artifacts;
using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator.Tests.Devices;

public sealed class InstalledStateTests
{
    private static ArtifactFacts Artifact(string name, string type, Dictionary<string, string> provides, string[]? clears, Dictionary<string, string>? configuration = null) => new()
    {
        Name = name,
        DeviceTypes = ["pi4"],
        PayloadType = type,
        Provides = provides,
        ClearsProvides = clears ?? [],
        ClearsAllProvides = clears is null,
        Configuration = configuration,
        Size = 1,
        Sha256 = new byte[32],
    };

    [Fact]
    public void Committing_follows_the_clients_provides_rules()
    {
        var start = InstalledState.Provisioned("pi4", "os-1", null);
        var os = start.Commit(Artifact("os-2", "rootfs-image", new() { ["rootfs-image.version"] = "os-2", ["rootfs-image.checksum"] = "ab" }, ["rootfs-image.*"]));
        os.RunningImage.ShouldBe("os-2");
        os.ArtifactName.ShouldBe("os-2");

        var configuration = new Dictionary<string, string> { ["kiosk_url"] = "https://k" };
        var configured = os.Commit(Artifact("configuration-1", "mender-configure",
            new() { ["data-partition.mender-configure.version"] = "configuration-1" }, ["data-partition.mender-configure.*"], configuration));
        configured.ArtifactName.ShouldBe("configuration-1");
        configured.RunningImage.ShouldBe("os-2");
        configured.Configuration.ShouldBe(configuration);
        configured.ConfigurationChecksum.ShouldBe(Core.Facts.ConfigurationChecksum.Compute(configuration));

        // A module artifact without clears_artifact_provides wipes every provide; the interlock falls back to artifact_info.
        var wiped = configured.Commit(Artifact("app-1", "single-file", new() { ["rootfs-image.single-file.version"] = "app-1" }, null));
        wiped.Provides.ContainsKey("rootfs-image.version").ShouldBeFalse();
        wiped.RunningImage.ShouldBe("os-1");
    }

    [Fact]
    public void Transitions_are_shared_so_devices_hold_a_handful_of_states()
    {
        var start = InstalledState.Provisioned("pi4", "os-1", null);
        var artifact = Artifact("os-2", "rootfs-image", new() { ["rootfs-image.version"] = "os-2" }, ["rootfs-image.*"]);
        start.Commit(artifact).ShouldBeSameAs(start.Commit(artifact));
        System.Text.Encoding.UTF8.GetString(start.NextBody).ShouldBe(
            """{"device_provides":{"artifact_name":"os-1","device_type":"pi4","rootfs-image.version":"os-1"},"update_control_map":true}""");
    }
}
