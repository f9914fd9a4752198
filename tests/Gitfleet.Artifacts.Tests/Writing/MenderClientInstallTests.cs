using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Writing;

/// <summary>
/// Our artifacts installed by the real Mender client 3.4 (standalone `mender install`): Gitfleet reads the installed
/// OS from the rootfs-image.version provide, so a configuration deployment must leave it alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MenderClientInstallTests : IDisposable
{
    private readonly StandaloneMenderDevice device = new("pi4", "fake-os", ConfigurationArtifact.PayloadType);
    private readonly ArtifactWorkspace workspace = new();

    [Fact]
    public async Task Configuration_artifacts_keep_rootfs_image_version_and_record_the_configuration_version()
    {
        device.Install(await WriteOsArtifactAsync("os-1"));
        device.ShowProvides()["rootfs-image.version"].ShouldBe("os-1");

        device.Install(WriteConfiguration("config-1"));
        device.Install(WriteConfiguration("config-2"));

        var provides = device.ShowProvides();
        provides["artifact_name"].ShouldBe("config-2");
        provides["rootfs-image.version"].ShouldBe("os-1");
        provides[ConfigurationArtifact.VersionProvide].ShouldBe("config-2");
    }

    [Fact]
    public async Task A_module_artifact_without_clears_provides_wipes_rootfs_image_version()
    {
        device.Install(await WriteOsArtifactAsync("os-1"));

        var path = workspace.Combine("no-clears.mender");
        await using (var file = File.Create(path))
        {
            await ArtifactWriter.WriteModuleImageAsync(file, new ModuleImageDefinition
            {
                Name = "config-without-clears",
                DeviceTypes = ["pi4"],
                Type = ConfigurationArtifact.PayloadType,
                Provides = new Dictionary<string, string> { [ConfigurationArtifact.VersionProvide] = "config-without-clears" },
            });
        }

        device.Install(path);

        device.ShowProvides().ContainsKey("rootfs-image.version").ShouldBeFalse(
            "without clears_artifact_provides the client drops every earlier provide; configuration artifacts must carry one");
    }

    public void Dispose()
    {
        device.Dispose();
        workspace.Dispose();
    }

    private async Task<string> WriteOsArtifactAsync(string version)
    {
        var path = workspace.Combine($"{version}.mender");
        await using var file = File.Create(path);
        await ArtifactWriter.WriteModuleImageAsync(file, new ModuleImageDefinition
        {
            Name = version,
            DeviceTypes = ["pi4"],
            Type = "fake-os",
            Files = [ArtifactFileSource.FromBytes("image.bin", "image"u8.ToArray())],
            Provides = new Dictionary<string, string> { ["rootfs-image.version"] = version },
            ClearsProvides = ["rootfs-image.*"],
        });
        return path;
    }

    private string WriteConfiguration(string name)
    {
        var path = workspace.Combine($"{name}.mender");
        File.WriteAllBytes(path, ArtifactWriter.CreateConfigurationArtifact(name, ["pi4"], new Dictionary<string, string> { ["timezone"] = "UTC" }));
        return path;
    }
}
