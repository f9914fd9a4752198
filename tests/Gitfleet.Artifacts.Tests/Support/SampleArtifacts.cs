namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>Artifacts written once per test run by the real mender-artifact, for tests that damage them.</summary>
internal static class SampleArtifacts
{
    public const string ImageName = "rootfs.ext4";
    public const int ImageSize = 100_000;

    private static readonly Lazy<byte[]> RootfsLazy = new(() => Write("rootfs.mender"));
    private static readonly Lazy<byte[]> LzmaLazy = new(() => Write("lzma.mender", "--compression", "lzma"));
    private static readonly Lazy<byte[]> SignedByOtherKeyLazy = new(() => Write("other.mender", "-k", TestKeys.Instance.OtherRsaPrivatePath));

    /// <summary>rootfs-image "release-1" for device type pi4 with a 100 kB image, gzip, unsigned.</summary>
    public static byte[] Rootfs => RootfsLazy.Value;

    /// <summary>The same, written with --compression lzma (header.tar.xz, data/0000.tar.xz).</summary>
    public static byte[] Lzma => LzmaLazy.Value;

    /// <summary>The same, signed with TestKeys' other RSA key.</summary>
    public static byte[] SignedByOtherKey => SignedByOtherKeyLazy.Value;

    private static byte[] Write(string name, params string[] extra)
    {
        using var workspace = new ArtifactWorkspace();
        workspace.WriteRandom(ImageName, ImageSize);
        var path = workspace.MenderArtifactWrite(name, ["rootfs-image", "-n", "release-1", "-t", "pi4", "-f", ImageName, .. extra]);
        return File.ReadAllBytes(path);
    }
}
