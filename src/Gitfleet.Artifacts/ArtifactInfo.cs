namespace Gitfleet.Artifacts;

/// <summary>What the server needs to know about an uploaded Mender artifact (format version 3).</summary>
public sealed record ArtifactInfo
{
    public required string Name { get; init; }

    public int FormatVersion { get; init; } = 3;

    public required IReadOnlyList<string> DeviceTypesCompatible { get; init; }

    /// <summary>header-info "artifact_provides" (for example rootfs-image.version).</summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>header-info "artifact_depends" other than device_type (values may be lists, joined with ',').</summary>
    public IReadOnlyDictionary<string, string> Depends { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> ClearsProvides { get; init; } = [];

    public IReadOnlyList<ArtifactPayload> Payloads { get; init; } = [];

    public bool Signed { get; init; }

    /// <summary>Total size of the artifact file in bytes.</summary>
    public long Size { get; init; }

    /// <summary>SHA-256 of the whole artifact file, lowercase hex.</summary>
    public string? Checksum { get; init; }
}

/// <summary>One payload of an artifact: its update type (rootfs-image, single-file, a module name) and its files.</summary>
public sealed record ArtifactPayload(string Type, IReadOnlyList<ArtifactFile> Files);

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
