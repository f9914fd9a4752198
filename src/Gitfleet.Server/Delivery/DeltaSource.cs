using Gitfleet.Artifacts;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The delta-capable form of a full OS artifact: a <c>gitfleet-ab</c> payload carrying one image file (an ext4 or
/// similar file system image, not a tarball), optionally with a health check. Deltas are made between the image files
/// of two such artifacts; other artifacts (tarball payloads, rootfs-image for real A/B partitions, modules) are
/// always delivered whole.
/// </summary>
internal sealed record DeltaSource(string Version, ArtifactFile Image, ArtifactPayload Payload)
{
    public const string PayloadType = "gitfleet-ab";

    private static readonly string[] TarballSuffixes = [".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar.zst"];

    /// <summary>The payload's files other than the image (the health check), which a delta carries as they are.</summary>
    public IEnumerable<ArtifactFile> ExtraFiles => Payload.Files.Where(f => f.Name != Image.Name);

    public static DeltaSource? Of(ArtifactRecord artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var info = artifact.Metadata;
        if (info.Payloads is not [{ Type: PayloadType } payload])
        {
            return null;
        }

        var images = payload.Files.Where(f => f.Name != "health-check").ToList();
        if (images is not [var image] || TarballSuffixes.Any(s => image.Name.EndsWith(s, StringComparison.Ordinal)))
        {
            return null;
        }

        var version = info.Provides.GetValueOrDefault(DeviceFacts.RootfsImageVersionAttribute) ?? info.Name;
        return new DeltaSource(version, image, payload);
    }
}
