using System.Text;
using System.Text.Json.Nodes;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Writing;

/// <summary>Artifacts from our writer, checked by the real mender-artifact 3.9 and by our reader.</summary>
public sealed class ArtifactWriterTests : IDisposable
{
    private readonly ArtifactWorkspace workspace = new();

    [Fact]
    public async Task Module_image_is_accepted_by_mender_artifact_and_reads_back_identically()
    {
        var definition = new ModuleImageDefinition
        {
            Name = "app-3.1",
            DeviceTypes = ["pi4", "pi3"],
            Type = "single-file",
            Files =
            [
                ArtifactFileSource.FromBytes("app.bin", Encoding.UTF8.GetBytes("binary content")),
                ArtifactFileSource.FromFile(workspace.WriteText("dest_dir", "/opt/app")),
            ],
            MetaData = new JsonObject { ["owner"] = "ops", ["retries"] = 3 },
            Provides = new Dictionary<string, string> { ["rootfs-image.single-file.version"] = "app-3.1" },
            Depends = new Dictionary<string, string> { ["kernel"] = "6.1" },
            ClearsProvides = ["rootfs-image.single-file.*"],
            ArtifactGroup = "stable",
            DependsOnArtifactNames = ["release-1"],
            DependsOnGroups = ["beta"],
        };

        var path = await WriteAsync("module.mender", output => ArtifactWriter.WriteModuleImageAsync(output, definition));

        ValidateWithMenderArtifact(path);
        var listing = Tools.MenderArtifact(workspace.Path, "read", path);
        listing.ShouldContain("Name: app-3.1");
        listing.ShouldContain("Type:   single-file");
        listing.ShouldContain("rootfs-image.single-file.version: app-3.1");
        listing.ShouldContain("kernel: 6.1");
        listing.ShouldContain("\"owner\": \"ops\"");
        listing.ShouldContain("name:     app.bin");

        var info = await workspace.ReadAsync("module.mender");
        info.Name.ShouldBe("app-3.1");
        info.DeviceTypesCompatible.ShouldBe(["pi4", "pi3"]);
        info.ArtifactGroup.ShouldBe("stable");
        info.Depends["artifact_name"].ShouldBe("release-1");
        info.Depends["artifact_group"].ShouldBe("beta");
        info.Depends["kernel"].ShouldBe("6.1");
        info.ClearsProvides.ShouldBe(["rootfs-image.single-file.*"]);
        info.Payloads.ShouldHaveSingleItem().Files.Select(f => (f.Name, f.Size)).ShouldBe([("app.bin", 14L), ("dest_dir", 8L)]);
        info.Payloads[0].MetaData.ShouldBe("""{"owner":"ops","retries":3}""");
    }

    [Fact]
    public async Task Rootfs_image_is_accepted_by_mender_artifact_with_rootfs_provides()
    {
        var checksum = workspace.WriteRandom("core-image.ext4", 300_000);
        var definition = new RootfsImageDefinition
        {
            Name = "os-2026.01",
            DeviceTypes = ["pi4"],
            Image = ArtifactFileSource.FromFile(workspace.Combine("core-image.ext4")),
            SoftwareVersion = "2026.01",
        };

        var path = await WriteAsync("rootfs.mender", output => ArtifactWriter.WriteRootfsImageAsync(output, definition));

        ValidateWithMenderArtifact(path);
        var listing = Tools.MenderArtifact(workspace.Path, "read", path);
        listing.ShouldContain("Type:   rootfs-image");
        listing.ShouldContain("rootfs-image.version: 2026.01");
        listing.ShouldContain($"checksum: {checksum}");

        var info = await workspace.ReadAsync("rootfs.mender");
        info.Provides["rootfs-image.version"].ShouldBe("2026.01");
        info.Provides["rootfs-image.checksum"].ShouldBe(checksum);
        info.Payloads.ShouldHaveSingleItem().Files.ShouldHaveSingleItem().ShouldBe(new ArtifactFile("core-image.ext4", 300_000, checksum));
    }

    [Theory]
    [InlineData("rsa.pem", "rsa.pub.pem")]
    [InlineData("ec.pem", "ec.pub.pem")]
    [InlineData("ec.pkcs8.pem", "ec.pub.pem")]
    public async Task Signed_artifacts_validate_with_mender_artifact_and_the_public_key(string privateKey, string publicKey)
    {
        var keys = TestKeys.Instance;
        using var key = ArtifactSigningKey.FromPem(keys.Read(privateKey));
        var definition = SmallModule("signed-1");

        var path = await WriteAsync("signed.mender", output => ArtifactWriter.WriteModuleImageAsync(output, definition, new ArtifactWriterOptions { SigningKey = key }));

        ValidateWithMenderArtifact(path, keys.Path(publicKey));
        Tools.TryMenderArtifact(workspace.Path, "validate", "-k", keys.OtherRsaPublicPath, path).Succeeded.ShouldBeFalse();
        var info = await workspace.ReadAsync("signed.mender", new ArtifactReaderOptions { VerificationKeys = [keys.Read(publicKey)] });
        info.SignatureVerified.ShouldBeTrue();
    }

    [Fact]
    public async Task Output_is_deterministic_and_the_same_on_seekable_and_non_seekable_streams()
    {
        using var key = ArtifactSigningKey.FromPem(TestKeys.Instance.Read("rsa.pem"));
        var options = new ArtifactWriterOptions { SigningKey = key };
        var big = new byte[5 * 1024 * 1024];
        new Random(5).NextBytes(big);
        var definition = SmallModule("same-1") with { Files = [ArtifactFileSource.FromBytes("big.bin", big)] };

        using var seekable = new MemoryStream();
        await ArtifactWriter.WriteModuleImageAsync(seekable, definition, options);
        using var again = new MemoryStream();
        await ArtifactWriter.WriteModuleImageAsync(again, definition, options);
        using var plain = new MemoryStream();
        await ArtifactWriter.WriteModuleImageAsync(new NonSeekableStream(plain), definition, options);

        again.ToArray().ShouldBe(seekable.ToArray());
        plain.ToArray().ShouldBe(seekable.ToArray());
        var info = await ArtifactReader.ReadAsync(new MemoryStream(plain.ToArray()));
        info.Payloads[0].Files.ShouldHaveSingleItem().Size.ShouldBe(big.Length);
    }

    [Fact]
    public async Task Large_payload_on_a_non_seekable_output_is_spooled_and_still_valid()
    {
        workspace.WriteRandom("image.bin", 6 * 1024 * 1024);
        var definition = SmallModule("spooled-1") with { Files = [ArtifactFileSource.FromFile(workspace.Combine("image.bin"))] };

        var path = workspace.Combine("spooled.mender");
        await using (var file = File.Create(path))
        {
            await ArtifactWriter.WriteModuleImageAsync(new NonSeekableStream(file), definition);
        }

        ValidateWithMenderArtifact(path);
    }

    [Fact]
    public async Task File_names_longer_than_the_ustar_field_get_a_PAX_header()
    {
        var name = new string('n', 150) + ".bin";
        var definition = SmallModule("long-name-1") with { Files = [ArtifactFileSource.FromBytes(name, "x"u8.ToArray())] };

        var path = await WriteAsync("long.mender", output => ArtifactWriter.WriteModuleImageAsync(output, definition));

        ValidateWithMenderArtifact(path);
        Tools.MenderArtifact(workspace.Path, "read", path).ShouldContain($"name:     {name}");
        (await workspace.ReadAsync("long.mender")).Payloads[0].Files.ShouldHaveSingleItem().Name.ShouldBe(name);
    }

    [Fact]
    public async Task A_source_that_changes_between_the_two_reads_fails_the_write()
    {
        var reads = 0;
        var definition = SmallModule("changing-1") with
        {
            Files = [ArtifactFileSource.FromStream("data.bin", _ => ValueTask.FromResult<Stream>(new MemoryStream([(byte)Interlocked.Increment(ref reads)])))],
        };

        var error = await Should.ThrowAsync<IOException>(() => ArtifactWriter.WriteModuleImageAsync(new MemoryStream(), definition));

        error.Message.ShouldContain("'data.bin' changed");
    }

    [Fact]
    public async Task Invalid_definitions_are_refused_naming_the_problem()
    {
        (await Should.ThrowAsync<ArgumentException>(() => ArtifactWriter.WriteModuleImageAsync(new MemoryStream(), SmallModule(""))))
            .Message.ShouldContain("name must not be empty");
        (await Should.ThrowAsync<ArgumentException>(() => ArtifactWriter.WriteModuleImageAsync(new MemoryStream(), SmallModule("x") with { DeviceTypes = [] })))
            .Message.ShouldContain("at least one device type");
        (await Should.ThrowAsync<ArgumentException>(() => ArtifactWriter.WriteModuleImageAsync(
                new MemoryStream(), SmallModule("x") with { Provides = new Dictionary<string, string> { ["artifact_name"] = "y" } })))
            .Message.ShouldContain("'artifact_name' cannot be a payload provides key");
        (await Should.ThrowAsync<ArgumentException>(() => ArtifactWriter.WriteModuleImageAsync(
                new MemoryStream(), SmallModule("x") with { Files = [ArtifactFileSource.FromBytes("a", new byte[] { 1 }), ArtifactFileSource.FromBytes("a", new byte[] { 2 })] })))
            .Message.ShouldContain("two files named 'a'");
        Should.Throw<ArgumentException>(() => ArtifactFileSource.FromBytes("dir/file", new byte[] { 1 })).Message.ShouldContain("not allowed");
        (await Should.ThrowAsync<ArgumentException>(() => ArtifactWriter.WriteModuleImageAsync(new MemoryStream(), SmallModule("tab\there"))))
            .Message.ShouldContain("non-printable");
    }

    public void Dispose() => workspace.Dispose();

    private static ModuleImageDefinition SmallModule(string name) => new()
    {
        Name = name,
        DeviceTypes = ["pi4"],
        Type = "single-file",
        Files = [ArtifactFileSource.FromBytes("hello.txt", "hello\n"u8.ToArray())],
        ClearsProvides = ["rootfs-image.single-file.*"],
    };

    private async Task<string> WriteAsync(string name, Func<Stream, Task> write)
    {
        var path = workspace.Combine(name);
        await using (var file = File.Create(path))
        {
            await write(file);
        }

        return path;
    }

    private void ValidateWithMenderArtifact(string path, string? publicKey = null)
    {
        var result = publicKey is null
            ? Tools.TryMenderArtifact(workspace.Path, "validate", path)
            : Tools.TryMenderArtifact(workspace.Path, "validate", "-k", publicKey, path);
        result.Succeeded.ShouldBeTrue(result.StandardError + result.StandardOutput);
        (result.StandardOutput + result.StandardError).ShouldContain("validated successfully");
    }
}
