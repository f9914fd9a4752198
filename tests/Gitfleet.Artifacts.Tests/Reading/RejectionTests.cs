using System.Text;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Reading;

/// <summary>One test per class of malformed artifact; each asserts that the message says what is wrong.</summary>
public sealed class RejectionTests
{
    private const string ImagePath = "data/0000/" + SampleArtifacts.ImageName;

    [Fact]
    public async Task The_untouched_sample_and_its_reassembled_copy_are_accepted()
    {
        (await ArtifactReader.ReadAsync(new MemoryStream(SampleArtifacts.Rootfs))).Name.ShouldBe("release-1");
        (await ArtifactReader.ReadAsync(new MemoryStream(Sample().ToBytes()))).Name.ShouldBe("release-1");
    }

    [Fact]
    public async Task Empty_stream()
    {
        (await RejectAsync([])).ShouldBe("the artifact is empty (0 bytes)");
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(6)]
    public async Task Garbage_input(int length)
    {
        var garbage = new byte[length];
        new Random(42).NextBytes(garbage);
        (await RejectAsync(garbage)).ShouldContain("not a Mender artifact");
        (await RejectAsync(Encoding.UTF8.GetBytes("<html><body>502 Bad Gateway</body></html>\n"))).ShouldContain("not a Mender artifact");
    }

    [Fact]
    public async Task A_tar_archive_of_something_else()
    {
        var other = Sample();
        foreach (var name in other.Names.ToList())
        {
            other.Rename(name, "photos/" + name.Replace('/', '_'));
        }

        (await RejectAsync(other.ToBytes())).ShouldContain("the first entry of a Mender artifact must be 'version'");
    }

    [Theory]
    [InlineData(100)]                 // inside the tar header of 'version'
    [InlineData(530)]                 // inside the content of 'version'
    [InlineData(1100)]                // inside the tar header of 'manifest'
    [InlineData(-1)]                  // exactly after header.tar.gz: no payload at all
    [InlineData(-2)]                  // in the middle of data/0000.tar.gz
    [InlineData(-3)]                  // a few bytes before the end of data/0000.tar.gz
    public async Task Truncated_uploads_are_reported_as_truncated(int offset)
    {
        var artifact = SampleArtifacts.Rootfs;
        var dataStart = OffsetOfEntry(artifact, "data/0000.tar.gz");
        var cut = offset switch
        {
            -1 => dataStart,
            -2 => dataStart + 512 + ((artifact.Length - dataStart) / 2),
            -3 => artifact.Length - 1024 - 600,
            _ => offset,
        };

        var message = await RejectAsync(artifact[..cut]);

        message.ShouldContain("truncated");
    }

    [Fact]
    public async Task Checksum_mismatch_in_the_header()
    {
        // Someone widened the device types without updating the manifest.
        var artifact = Sample().EditGzipTar("header.tar.gz", header =>
            header.Set("header-info", header.GetText("header-info").Replace("\"pi4\"", "\"pi4\",\"pi5\"", StringComparison.Ordinal)));

        var message = await RejectAsync(artifact.ToBytes());

        message.ShouldStartWith("checksum mismatch for 'header.tar.gz'");
        message.ShouldContain("'manifest' says");
    }

    [Fact]
    public async Task Checksum_mismatch_in_a_damaged_compressed_header()
    {
        var artifact = Sample();
        var header = artifact.Get("header.tar.gz");
        header[header.Length / 2] ^= 0xff;

        (await RejectAsync(artifact.Set("header.tar.gz", header).ToBytes())).ShouldStartWith("checksum mismatch for 'header.tar.gz'");
    }

    [Fact]
    public async Task Checksum_mismatch_in_the_payload()
    {
        var artifact = Sample().EditGzipTar("data/0000.tar.gz", data =>
        {
            var image = data.Get(SampleArtifacts.ImageName);
            image[1234] ^= 0x01;
            data.Set(SampleArtifacts.ImageName, image);
        });

        (await RejectAsync(artifact.ToBytes())).ShouldStartWith($"checksum mismatch for '{ImagePath}'");
    }

    [Theory]
    [InlineData("""{"format":"mender","version":2}""", "version 2 is not supported")]
    [InlineData("""{"format":"mender","version":1}""", "version 1 is not supported")]
    [InlineData("""{"format":"zip","version":3}""", "not a Mender artifact: the 'version' entry has format \"zip\"")]
    [InlineData("""{"version":3}""", "format (missing)")]
    [InlineData("mender 3", "not a Mender artifact: the 'version' entry is not valid JSON")]
    public async Task Bad_version_file(string version, string expected)
    {
        var artifact = Sample().Set("version", version).FixManifest("version");

        (await RejectAsync(artifact.ToBytes())).ShouldContain(expected);
    }

    [Fact]
    public async Task Version_that_does_not_match_its_manifest_checksum()
    {
        var artifact = Sample().Set("version", """{"format":"mender", "version":3}""");

        (await RejectAsync(artifact.ToBytes())).ShouldStartWith("checksum mismatch for 'version'");
    }

    [Fact]
    public async Task Missing_manifest()
    {
        (await RejectAsync(Sample().Remove("manifest").ToBytes()))
            .ShouldBe("the artifact has no 'manifest': expected it after 'version', but found 'header.tar.gz'");
    }

    [Fact]
    public async Task Missing_header()
    {
        (await RejectAsync(Sample().Remove("header.tar.gz").ToBytes()))
            .ShouldContain("the payload data must come after 'header.tar.gz'");
    }

    [Theory]
    [InlineData("manifest")]
    [InlineData("header.tar.gz")]
    [InlineData("data/0000.tar.gz")]
    public async Task Duplicate_entry(string name)
    {
        (await RejectAsync(Sample().Duplicate(name).ToBytes())).ShouldStartWith($"duplicate entry '{name}'");
    }

    [Theory]
    [InlineData("manifest", 0, "the first entry of a Mender artifact must be 'version', but it is 'manifest'")]
    [InlineData("data/0000.tar.gz", 2, "entry 'data/0000.tar.gz' is out of order: the payload data must come after 'header.tar.gz'")]
    [InlineData("header.tar.gz", 1, "the artifact has no 'manifest': expected it after 'version', but found 'header.tar.gz'")]
    [InlineData("version", 2, "the first entry of a Mender artifact must be 'version', but it is 'manifest'")]
    public async Task Wrong_order(string entry, int newIndex, string expected)
    {
        (await RejectAsync(Sample().Move(entry, newIndex).ToBytes())).ShouldBe(expected);
    }

    [Fact]
    public async Task Signature_after_the_header_is_out_of_order()
    {
        var artifact = Sample().Insert(3, "manifest.sig", Encoding.ASCII.GetBytes("c2lnbmF0dXJl"));

        (await RejectAsync(artifact.ToBytes())).ShouldBe("entry 'manifest.sig' is out of order: it must come before 'header.tar.gz'");
    }

    [Fact]
    public async Task Unknown_entry()
    {
        (await RejectAsync(Sample().Insert(2, "README", [1, 2, 3]).ToBytes())).ShouldStartWith("unexpected entry 'README' in the artifact");
    }

    [Fact]
    public async Task Payload_file_missing_from_the_data_archive()
    {
        var artifact = Sample().EditGzipTar("data/0000.tar.gz", data => data.Remove(SampleArtifacts.ImageName));

        (await RejectAsync(artifact.ToBytes())).ShouldStartWith($"the manifest lists '{ImagePath}' but the artifact does not contain it");
    }

    [Fact]
    public async Task Payload_file_not_listed_in_the_manifest()
    {
        var artifact = Sample().EditGzipTar("data/0000.tar.gz", data => data.Insert(1, "backdoor.sh", Encoding.ASCII.GetBytes("#!/bin/sh\n")));

        (await RejectAsync(artifact.ToBytes())).ShouldBe("'data/0000/backdoor.sh' is in the payload but no manifest lists it");
    }

    [Fact]
    public async Task Data_for_a_payload_that_header_info_does_not_declare()
    {
        var sample = Sample();
        var artifact = sample.Insert(sample.Names.Count, "data/0001.tar.gz", sample.Get("data/0000.tar.gz"));

        (await RejectAsync(artifact.ToBytes())).ShouldBe("'data/0001.tar.gz' has no matching payload: header-info lists 1 payload(s)");
    }

    [Fact]
    public async Task Unsupported_compression_xz_from_mender_artifact()
    {
        (await RejectAsync(SampleArtifacts.Lzma)).ShouldBe(
            "compression 'xz' ('header.tar.xz') is not supported by this server; write the artifact with "
            + "`mender-artifact write ... --compression gzip` (or --compression none)");
    }

    [Fact]
    public async Task Unsupported_compression_zstd()
    {
        var artifact = Sample().Rename("header.tar.gz", "header.tar.zst").FixManifest("header.tar.zst", listedAs: "header.tar.gz");

        (await RejectAsync(artifact.ToBytes())).ShouldStartWith("compression 'zstd' ('header.tar.zst') is not supported by this server");
    }

    [Fact]
    public async Task Missing_signature_when_keys_are_configured()
    {
        var options = new ArtifactReaderOptions { VerificationKeys = [TestKeys.Instance.Read("rsa.pub.pem")] };

        (await RejectAsync(SampleArtifacts.Rootfs, options)).ShouldBe(
            "the artifact is not signed (no 'manifest.sig' before 'header.tar.gz'), but this server requires signed artifacts");
    }

    [Fact]
    public async Task Signature_by_another_key()
    {
        var keys = TestKeys.Instance;
        var options = new ArtifactReaderOptions { VerificationKeys = [keys.Read("rsa.pub.pem"), keys.Read("ec.pub.pem")] };

        (await RejectAsync(SampleArtifacts.SignedByOtherKey, options))
            .ShouldStartWith("the signature in 'manifest.sig' does not verify with any of the 2 configured verification keys");
    }

    [Fact]
    public async Task Signature_over_a_changed_manifest()
    {
        var keys = TestKeys.Instance;
        var options = new ArtifactReaderOptions { VerificationKeys = [keys.Read("other-rsa.pub.pem")] };
        var artifact = TarSurgery.Open(SampleArtifacts.SignedByOtherKey).Set("manifest", TarSurgery.Open(SampleArtifacts.Rootfs).Get("manifest") is var m
            ? Encoding.UTF8.GetString(m) + "\n"
            : "");

        (await RejectAsync(artifact.ToBytes(), options)).ShouldStartWith("the signature in 'manifest.sig' does not verify with the configured verification key");
    }

    [Theory]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":""},"artifact_depends":{"device_type":["pi4"]}}""", "the artifact name ('artifact_provides.artifact_name') is empty")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x"},"artifact_depends":{"device_type":[]}}""", "the artifact names no device types")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x"}}""", "'artifact_depends' is missing, so the artifact names no device types")]
    [InlineData("""{"payloads":[],"artifact_provides":{"artifact_name":"x"},"artifact_depends":{"device_type":["pi4"]}}""", "'payloads' is empty")]
    [InlineData("""{"payloads":[{"type":null}],"artifact_provides":{"artifact_name":"x"},"artifact_depends":{"device_type":["pi4"]}}""", "bootstrap artifact")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x"},"artifact_depends":{"device_type":"pi4"}}""", "'artifact_depends.device_type' must be a list of strings, not a string")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x","color":"red"},"artifact_depends":{"device_type":["pi4"]}}""", "unknown field 'artifact_provides.color'")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x"},"artifact_depends":{"device_type":["pi4"]},"extra":1}""", "unknown field 'extra'")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],""", "header-info is not valid JSON")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x\ud800"},"artifact_depends":{"device_type":["pi4"]}}""", "not valid UTF-8 text")]
    [InlineData("""{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"x","\udc00":"y"},"artifact_depends":{"device_type":["pi4"]}}""", "not valid UTF-8 text")]
    public async Task Invalid_header_info(string headerInfo, string expected)
    {
        var artifact = Sample().EditGzipTar("header.tar.gz", header => header.Set("header-info", headerInfo)).FixManifest("header.tar.gz");

        var message = await RejectAsync(artifact.ToBytes());

        message.ShouldStartWith("header.tar.gz: header-info");
        message.ShouldContain(expected);
    }

    [Fact]
    public async Task Type_info_missing_from_the_header()
    {
        var artifact = Sample().EditGzipTar("header.tar.gz", header => header.Remove("headers/0000/type-info").Remove("headers/0000/meta-data"))
            .FixManifest("header.tar.gz");

        (await RejectAsync(artifact.ToBytes())).ShouldBe("'headers/0000/type-info' is missing from 'header.tar.gz'");
    }

    [Fact]
    public async Task Meta_data_that_is_not_a_json_object()
    {
        var artifact = Sample().EditGzipTar("header.tar.gz", header => header.Set("headers/0000/meta-data", "[1,2]"))
            .FixManifest("header.tar.gz");

        (await RejectAsync(artifact.ToBytes())).ShouldBe("header.tar.gz: headers/0000/meta-data: the content must be a JSON object, not a list");
    }

    [Fact]
    public async Task Non_zero_data_after_the_end_of_the_archive()
    {
        var artifact = SampleArtifacts.Rootfs.Concat(Encoding.ASCII.GetBytes("trailing junk")).ToArray();

        (await RejectAsync(artifact)).ShouldBe("unexpected data after the end of the artifact's tar archive");
    }

    [Fact]
    public async Task Zero_padding_after_the_end_of_the_archive_is_accepted()
    {
        var artifact = SampleArtifacts.Rootfs.Concat(new byte[10240]).ToArray();

        var info = await ArtifactReader.ReadAsync(new MemoryStream(artifact));

        info.Size.ShouldBe(artifact.Length);
    }

    private static TarSurgery Sample() => TarSurgery.Open(SampleArtifacts.Rootfs);

    private static async Task<string> RejectAsync(byte[] artifact, ArtifactReaderOptions? options = null)
    {
        var error = await Should.ThrowAsync<ArtifactFormatException>(
            () => ArtifactReader.ReadAsync(new NonSeekableStream(new MemoryStream(artifact)), options ?? ArtifactReaderOptions.Default, CancellationToken.None));
        return error.Message;
    }

    /// <summary>Where the tar header of <paramref name="name"/> starts in the artifact.</summary>
    private static int OffsetOfEntry(byte[] artifact, string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        for (var offset = 0; offset + 512 <= artifact.Length; offset += 512)
        {
            if (artifact.AsSpan(offset, nameBytes.Length).SequenceEqual(nameBytes))
            {
                return offset;
            }
        }

        throw new InvalidOperationException($"no tar header for '{name}'");
    }
}
