using System.IO.Compression;
using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Artifacts;

/// <summary>How <see cref="ArtifactWriter"/> writes: signing and gzip level.</summary>
public sealed record ArtifactWriterOptions
{
    public static ArtifactWriterOptions Default { get; } = new();

    /// <summary>Signs the manifest (manifest.sig) when set. The caller owns and disposes the key.</summary>
    public ArtifactSigningKey? SigningKey { get; init; }

    /// <summary>gzip level of the payload data; Optimal matches mender-artifact's default.</summary>
    public CompressionLevel DataCompression { get; init; } = CompressionLevel.Optimal;
}
