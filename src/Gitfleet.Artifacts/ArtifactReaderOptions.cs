namespace Gitfleet.Artifacts;

/// <summary>How <see cref="ArtifactReader"/> verifies an artifact.</summary>
public sealed record ArtifactReaderOptions
{
    public static ArtifactReaderOptions Default { get; } = new();

    /// <summary>
    /// PEM public keys (RSA, ECDSA P-256 or Ed25519 SubjectPublicKeyInfo). When any are given, the artifact must
    /// carry a <c>manifest.sig</c> that one of them verifies. When none are given, a signature is reported
    /// (<see cref="ArtifactInfo.Signed"/>) but not checked.
    /// </summary>
    public IReadOnlyList<string> VerificationKeys { get; init; } = [];

    /// <summary>Upper bound for the uncompressed header.tar (header-info, scripts, type-info, meta-data).</summary>
    public long MaxHeaderSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Upper bound for each small file read into memory: version, manifests, manifest.sig and the JSON headers.</summary>
    public int MaxMetadataFileSize { get; init; } = 1024 * 1024;
}
