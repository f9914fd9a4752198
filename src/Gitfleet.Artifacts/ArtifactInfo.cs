namespace Gitfleet.Artifacts;

/// <summary>What the server needs to know about an uploaded Mender artifact (format version 3).</summary>
public sealed record ArtifactInfo
{
    public required string Name { get; init; }

    public int FormatVersion { get; init; } = 3;

    public required IReadOnlyList<string> DeviceTypesCompatible { get; init; }

    /// <summary>
    /// header-info "artifact_provides" (artifact_name, artifact_group) merged with every payload's type-info
    /// "artifact_provides" (for example rootfs-image.version), as Mender's deployments service merges them.
    /// </summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// header-info "artifact_depends" other than device_type (artifact_name, artifact_group) merged with every
    /// payload's type-info "artifact_depends"; list values are joined with ','.
    /// </summary>
    public IReadOnlyDictionary<string, string> Depends { get; init; } = new Dictionary<string, string>();

    /// <summary>Every payload's type-info "clears_artifact_provides", concatenated.</summary>
    public IReadOnlyList<string> ClearsProvides { get; init; } = [];

    public IReadOnlyList<ArtifactPayload> Payloads { get; init; } = [];

    /// <summary>header-info "artifact_provides.artifact_group", when set (also in <see cref="Provides"/>).</summary>
    public string? ArtifactGroup { get; init; }

    /// <summary>Names of the state scripts in the header (scripts/*), in artifact order.</summary>
    public IReadOnlyList<string> StateScripts { get; init; } = [];

    /// <summary>
    /// True when a payload's type-info has no clears_artifact_provides: the Mender client then drops every provide of
    /// the previously installed artifact (rootfs-image.version included) when it installs this one.
    /// </summary>
    public bool ClearsAllProvides { get; init; }

    /// <summary>The artifact carries a manifest.sig.</summary>
    public bool Signed { get; init; }

    /// <summary>The manifest.sig was checked against a configured verification key (see ArtifactReaderOptions).</summary>
    public bool SignatureVerified { get; init; }

    /// <summary>Total size of the artifact file in bytes.</summary>
    public long Size { get; init; }

    /// <summary>SHA-256 of the whole artifact file, lowercase hex.</summary>
    public string? Checksum { get; init; }
}

/// <summary>One payload of an artifact: its update type (rootfs-image, single-file, a module name) and its files.</summary>
public sealed record ArtifactPayload(string Type, IReadOnlyList<ArtifactFile> Files)
{
    /// <summary>This payload's type-info "artifact_provides".</summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>This payload's type-info "artifact_depends" (list values joined with ',').</summary>
    public IReadOnlyDictionary<string, string> Depends { get; init; } = new Dictionary<string, string>();

    /// <summary>type-info "clears_artifact_provides"; null when the field is absent (the client then clears every provide).</summary>
    public IReadOnlyList<string>? ClearsProvides { get; init; }

    /// <summary>The payload's meta-data JSON object as text, or null when there is none or it is empty.</summary>
    public string? MetaData { get; init; }
}

public sealed record ArtifactFile(string Name, long Size, string Checksum);

/// <summary>The artifact is malformed, truncated, fails a checksum or a signature. The message says what is wrong.</summary>
public sealed class ArtifactFormatException : Exception
{
    public ArtifactFormatException(string message)
        : base(message)
    {
    }

    public ArtifactFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ArtifactFormatException()
    {
    }
}
