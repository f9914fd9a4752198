using Gitfleet.Device.Tests.Support;

namespace Gitfleet.Device.Tests.OsUpdate;

/// <summary>device/tools/gitfleet-make-os-artifact, checked with `mender-artifact read`.</summary>
public sealed class MakeOsArtifactToolTests : IDisposable
{
    private readonly DeviceSandbox sandbox = new();

    [Fact]
    public async Task The_artifact_provides_exactly_rootfs_image_version_and_clears_like_a_rootfs_image()
    {
        var artifact = await DeviceArtifacts.OperatingSystemAsync(sandbox, "2026-01-08-pi4-bookworm");

        var read = await DeviceArtifacts.ReadAsync(artifact);

        read.ShouldContain("Name: 2026-01-08-pi4-bookworm");
        read.ShouldContain("Type:   gitfleet-ab");
        var provides = Section(read, "Provides:", "Depends:");
        provides.ShouldBe(["rootfs-image.version: 2026-01-08-pi4-bookworm"]);
        read.ShouldContain("""Clears Provides: ["artifact_group", "rootfs_image_checksum", "rootfs-image.*"]""");
        read.ShouldContain("name:     rootfs.tar");
        read.ShouldNotContain("health-check");
    }

    [Fact]
    public async Task A_failing_health_check_and_an_image_file_can_be_shipped()
    {
        var image = sandbox.Combine("disk.img");
        await File.WriteAllBytesAsync(image, new byte[8192]);

        var read = await DeviceArtifacts.ReadAsync(await DeviceArtifacts.OperatingSystemAsync(sandbox, "img-bad", "--image", image, "--failing-health-check"));

        read.ShouldContain("name:     disk.img");
        read.ShouldContain("name:     health-check");
    }

    [Theory]
    [InlineData(new[] { "--device-type", "x" }, "--name is required")]
    [InlineData(new[] { "--name", "img" }, "at least one --device-type is required")]
    [InlineData(new[] { "--name", "img", "--device-type", "x", "--rootfs", "/nonexistent" }, "is not a directory")]
    [InlineData(new[] { "--name", "img", "--device-type", "x", "--tarball", "/nonexistent.tar" }, "does not exist")]
    [InlineData(new[] { "--name", "img", "--device-type", "x", "--tarball", "/etc/hostname" }, "must end in .tar")]
    [InlineData(new[] { "--name", "img one", "--device-type", "x" }, "must not contain whitespace")]
    [InlineData(new[] { "--name", "img", "--device-type", "x", "--bogus" }, "unknown argument '--bogus'")]
    public async Task Bad_arguments_get_a_clear_error(string[] arguments, string message)
    {
        var result = await DeviceArtifacts.RunToolAsync(arguments);

        result.ExitCode.ShouldBe(2);
        result.StandardError.ShouldContain(message);
    }

    public void Dispose() => sandbox.Dispose();

    private static string[] Section(string text, string start, string end) =>
        text.Split('\n').SkipWhile(line => !line.Contains(start, StringComparison.Ordinal)).Skip(1)
            .TakeWhile(line => !line.Contains(end, StringComparison.Ordinal)).Select(line => line.Trim()).ToArray();
}
