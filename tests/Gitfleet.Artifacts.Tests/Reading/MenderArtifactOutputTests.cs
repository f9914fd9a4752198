using System.Text.Json;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Reading;

/// <summary>Our reader against artifacts written by the real mender-artifact 3.9.</summary>
public sealed class MenderArtifactOutputTests : IDisposable
{
    private readonly ArtifactWorkspace workspace = new();

    [Fact]
    public async Task Rootfs_image_reports_name_device_types_provides_and_the_image_file()
    {
        var imageChecksum = workspace.WriteRandom("rootfs.ext4", 70_000);
        var path = workspace.MenderArtifactWrite("rootfs.mender", "rootfs-image", "-n", "release-2", "-t", "pi4", "-t", "pi3", "-f", "rootfs.ext4");

        var info = await workspace.ReadAsync("rootfs.mender");

        info.Name.ShouldBe("release-2");
        info.FormatVersion.ShouldBe(3);
        info.DeviceTypesCompatible.ShouldBe(["pi4", "pi3"]);
        info.Provides["artifact_name"].ShouldBe("release-2");
        info.Provides["rootfs-image.version"].ShouldBe("release-2");
        info.Provides["rootfs-image.checksum"].ShouldBe(imageChecksum);
        info.ClearsProvides.ShouldContain("rootfs-image.*");
        info.ClearsAllProvides.ShouldBeFalse();
        var payload = info.Payloads.ShouldHaveSingleItem();
        payload.Type.ShouldBe("rootfs-image");
        payload.Files.ShouldHaveSingleItem().ShouldBe(new ArtifactFile("rootfs.ext4", 70_000, imageChecksum));
        info.Signed.ShouldBeFalse();
        info.Size.ShouldBe(new FileInfo(path).Length);
        info.Checksum.ShouldBe(ArtifactWorkspace.Sha256Of(path));
    }

    [Fact]
    public async Task Rootfs_image_with_a_software_version_reports_it_as_rootfs_image_version()
    {
        workspace.WriteRandom("rootfs.ext4", 1000);
        workspace.MenderArtifactWrite("rootfs.mender", "rootfs-image", "-n", "build-77", "-t", "pi4", "-f", "rootfs.ext4", "--software-version", "2.4.1");

        var info = await workspace.ReadAsync("rootfs.mender");

        info.Name.ShouldBe("build-77");
        info.Provides["rootfs-image.version"].ShouldBe("2.4.1");
    }

    [Fact]
    public async Task Single_file_module_with_depends_provides_clears_groups_scripts_and_meta_data()
    {
        var firstChecksum = workspace.WriteRandom("app.bin", 3000, seed: 7);
        var secondChecksum = workspace.WriteRandom("app.conf", 10, seed: 8);
        workspace.WriteText("meta.json", """{"owner":"ops","retries":3,"targets":["a","b"]}""");
        workspace.WriteText("ArtifactInstall_Enter_00", "#!/bin/sh\n");
        var path = workspace.MenderArtifactWrite(
            "module.mender",
            "module-image",
            "-n", "app-1.2",
            "-t", "pi4",
            "-T", "single-file",
            "-f", "app.bin",
            "-f", "app.conf",
            "-m", "meta.json",
            "-d", "kernel:5.15",
            "-p", "app.version:1.2",
            "--clears-provides", "app.*",
            "-N", "release-1",
            "-N", "release-2",
            "-g", "stable",
            "-G", "beta",
            "-s", "ArtifactInstall_Enter_00");

        var info = await workspace.ReadAsync("module.mender");

        info.Name.ShouldBe("app-1.2");
        info.ArtifactGroup.ShouldBe("stable");
        info.Provides["artifact_group"].ShouldBe("stable");
        info.Provides["app.version"].ShouldBe("1.2");
        info.Depends["artifact_name"].ShouldBe("release-1,release-2");
        info.Depends["artifact_group"].ShouldBe("beta");
        info.Depends["kernel"].ShouldBe("5.15");
        info.Depends.ContainsKey("device_type").ShouldBeFalse();
        info.ClearsProvides.ShouldContain("app.*");
        info.StateScripts.ShouldBe(["ArtifactInstall_Enter_00"]);
        var payload = info.Payloads.ShouldHaveSingleItem();
        payload.Type.ShouldBe("single-file");
        payload.Provides["app.version"].ShouldBe("1.2");
        payload.Files.ShouldBe([new ArtifactFile("app.bin", 3000, firstChecksum), new ArtifactFile("app.conf", 10, secondChecksum)]);
        using var metaData = JsonDocument.Parse(payload.MetaData!);
        metaData.RootElement.GetProperty("owner").GetString().ShouldBe("ops");
        metaData.RootElement.GetProperty("retries").GetInt32().ShouldBe(3);
        info.Size.ShouldBe(new FileInfo(path).Length);
    }

    [Fact]
    public async Task Directory_module_with_several_device_types()
    {
        workspace.WriteText("dest_dir", "/opt/app\n");
        workspace.WriteRandom("update.tar", 20_000);
        workspace.MenderArtifactWrite(
            "dir.mender", "module-image", "-n", "dir-1", "-t", "pi3", "-t", "pi4", "-t", "x86", "-T", "directory", "-f", "update.tar", "-f", "dest_dir");

        var info = await workspace.ReadAsync("dir.mender");

        info.DeviceTypesCompatible.ShouldBe(["pi3", "pi4", "x86"]);
        info.Payloads.ShouldHaveSingleItem().Type.ShouldBe("directory");
        info.Payloads[0].Files.Select(f => f.Name).ShouldBe(["update.tar", "dest_dir"]);
        info.Provides["rootfs-image.directory.version"].ShouldBe("dir-1");
    }

    [Fact]
    public async Task Module_without_files_and_without_default_clears_reports_that_it_clears_all_provides()
    {
        workspace.WriteText("meta.json", """{"key":"value"}""");
        workspace.MenderArtifactWrite(
            "config.mender", "module-image", "-n", "cfg-1", "-t", "pi4", "-T", "mender-configure", "-m", "meta.json",
            "--no-default-clears-provides", "--no-default-software-version");

        var info = await workspace.ReadAsync("config.mender");

        info.Payloads.ShouldHaveSingleItem().Files.ShouldBeEmpty();
        info.Payloads[0].ClearsProvides.ShouldBeNull();
        info.ClearsAllProvides.ShouldBeTrue();
        info.Provides.Keys.ShouldBe(["artifact_name"]);
    }

    [Fact]
    public async Task Uncompressed_artifacts_are_read()
    {
        var checksum = workspace.WriteRandom("payload.bin", 5000);
        workspace.MenderArtifactWrite("plain.mender", "module-image", "-n", "plain-1", "-t", "pi4", "-T", "single-file", "-f", "payload.bin", "--compression", "none");

        var info = await workspace.ReadAsync("plain.mender");

        info.Payloads.ShouldHaveSingleItem().Files.ShouldHaveSingleItem().Checksum.ShouldBe(checksum);
    }

    [Fact]
    public async Task Augmented_artifacts_have_their_augment_files_verified_from_manifest_augment()
    {
        workspace.WriteRandom("base.bin", 1000, seed: 3);
        var augmentChecksum = workspace.WriteRandom("delta.bin", 2000, seed: 4);
        workspace.MenderArtifactWrite(
            "aug.mender", "module-image", "-n", "aug-1", "-t", "pi4", "-T", "single-file", "-f", "base.bin",
            "--augment-type", "single-file", "--augment-file", "delta.bin");

        var info = await workspace.ReadAsync("aug.mender");

        info.Payloads.ShouldHaveSingleItem().Files.ShouldContain(new ArtifactFile("delta.bin", 2000, augmentChecksum));
    }

    [Theory]
    [InlineData("rsa.pem", "rsa.pub.pem")]
    [InlineData("ec.pem", "ec.pub.pem")]
    public async Task Signed_artifacts_verify_with_the_matching_public_key(string privateKey, string publicKey)
    {
        var keys = TestKeys.Instance;
        workspace.WriteRandom("rootfs.ext4", 4096);
        workspace.MenderArtifactWrite("signed.mender", "rootfs-image", "-n", "signed-1", "-t", "pi4", "-f", "rootfs.ext4", "-k", keys.Path(privateKey));

        var unchecked_ = await workspace.ReadAsync("signed.mender");
        var verified = await workspace.ReadAsync(
            "signed.mender", new ArtifactReaderOptions { VerificationKeys = [keys.Read("other-rsa.pub.pem"), keys.Read(publicKey)] });

        unchecked_.Signed.ShouldBeTrue();
        unchecked_.SignatureVerified.ShouldBeFalse();
        verified.Signed.ShouldBeTrue();
        verified.SignatureVerified.ShouldBeTrue();
        verified.Name.ShouldBe("signed-1");
    }

    public void Dispose() => workspace.Dispose();
}
