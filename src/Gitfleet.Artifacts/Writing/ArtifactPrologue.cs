using System.Buffers;
using System.Security.Cryptography;
using Gitfleet.Artifacts.Manifest;
using Gitfleet.Artifacts.Reading;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tar;

namespace Gitfleet.Artifacts.Writing;

/// <summary>
/// The outer entries before the payload data: version, manifest, manifest.sig (when signing) and header.tar.gz.
/// </summary>
internal static class ArtifactPrologue
{
    public const string DataEntryName = "data/0000.tar.gz";

    private static readonly string VersionChecksum = Convert.ToHexStringLower(SHA256.HashData(VersionFile.Canonical));

    public static void Write(
        IBufferWriter<byte> output, byte[] headerArchive, IReadOnlyList<HashedFile> files, ArtifactSigningKey? signingKey)
    {
        var manifest = new ManifestBuilder();
        foreach (var file in files)
        {
            manifest.Add($"data/0000/{file.Source.Name}", file.Checksum);
        }

        manifest.Add(HeaderArchiveBuilder.EntryName, Convert.ToHexStringLower(SHA256.HashData(headerArchive)));
        manifest.Add(OuterEntry.VersionName, VersionChecksum);
        var manifestBytes = manifest.ToBytes();

        var tar = new TarBuilder(output);
        tar.AddFile(OuterEntry.VersionName, VersionFile.Canonical);
        tar.AddFile(OuterEntry.ManifestName, manifestBytes);
        if (signingKey is not null)
        {
            tar.AddFile(OuterEntry.ManifestSignatureName, ManifestSignature.Create(signingKey, manifestBytes));
        }

        tar.AddFile(HeaderArchiveBuilder.EntryName, headerArchive);
    }
}
