using System.Security.Cryptography;
using Gitfleet.Artifacts;
using Gitfleet.Git;
using Shouldly;

namespace Gitfleet.TestSupport.Delivery;

/// <summary>
/// Small real OS images for delta tests: ext4 file systems made with mkfs.ext4 from generated trees (fixed UUID and
/// hash seed, as an image build would pin them), a release and the same release with a few files changed, added and
/// removed; and gitfleet-ab artifacts carrying them as <c>rootfs.ext4</c>, as an image pipeline uploads them.
/// </summary>
public static class OsImages
{
    public const string ImageFile = "rootfs.ext4";

    /// <summary>Writes release <paramref name="release"/> (0 = the base; each later one changes a few files more) as an ext4 image.</summary>
    public static async Task<string> WriteImageAsync(string directory, string name, int release, int sizeMiB = 24)
    {
        var tree = Path.Combine(directory, name + ".tree");
        Directory.CreateDirectory(Path.Combine(tree, "usr", "lib"));
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        for (var i = 0; i < 120; i++)
        {
            // Library-like files: incompressible enough that a full artifact costs what its size says.
            var content = Content(seed: i, 48 * 1024);
            if (i % 15 == 0 && i / 15 < release * 2)
            {
                // A "security update": a few bytes of the library change.
                content[4096] ^= 0x5a;
                content[^7] ^= (byte)release;
            }

            await File.WriteAllBytesAsync(Path.Combine(tree, "usr", "lib", $"lib{i:D3}.so"), content);
        }

        await File.WriteAllTextAsync(Path.Combine(tree, "etc", "os-release"), $"PRETTY_NAME=\"Test OS {name}\"\n");
        if (release > 0)
        {
            await File.WriteAllBytesAsync(Path.Combine(tree, "usr", "lib", $"new-in-{release}.so"), Content(seed: 1000 + release, 100 * 1024));
            File.Delete(Path.Combine(tree, "usr", "lib", "lib119.so"));
        }

        var image = Path.Combine(directory, name + ".ext4");
        var result = await ProcessRunner.RunAsync("mkfs.ext4",
            ["-q", "-F", "-b", "4096", "-U", "6c0ab1f3-5d9e-4c1a-9a47-0e3d6a1b2c3d", "-E", "hash_seed=0b6f0d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5,root_owner=0:0",
                "-d", tree, image, $"{sizeMiB}M"],
            environment: new Dictionary<string, string?> { ["E2FSPROGS_FAKE_TIME"] = "1767225600" });
        result.ExitCode.ShouldBe(0, result.StandardError);
        Directory.Delete(tree, recursive: true);
        return image;
    }

    /// <summary>A gitfleet-ab OS artifact named <paramref name="name"/> carrying <paramref name="image"/> as rootfs.ext4.</summary>
    public static async Task<string> WriteArtifactAsync(string directory, string name, string deviceType, string image, bool withHealthCheck = false)
    {
        var output = Path.Combine(directory, name + ".mender");
        List<ArtifactFileSource> files = [ArtifactFileSource.FromFile(image, ImageFile)];
        if (withHealthCheck)
        {
            files.Add(ArtifactFileSource.FromBytes("health-check", "#!/bin/sh\necho \"healthy: $GITFLEET_AB_IMAGE\" >&2\n"u8.ToArray()));
        }

        await using var stream = File.Create(output);
        await ArtifactWriter.WriteModuleImageAsync(stream, new ModuleImageDefinition
        {
            Name = name,
            DeviceTypes = [deviceType],
            Type = "gitfleet-ab",
            Files = files,
            Provides = new Dictionary<string, string> { ["rootfs-image.version"] = name },
            ClearsProvides = ["artifact_group", "rootfs_image_checksum", "rootfs-image.*"],
        });
        return output;
    }

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    private static byte[] Content(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
