namespace Gitfleet.Storage.Model;

/// <summary>One delta per (base artifact, target artifact, device type): generated once, shared by every device.</summary>
public sealed record DeltaKey(string BaseArtifactId, string TargetArtifactId, string DeviceType);

/// <summary>Where a delta's generation stands.</summary>
public enum DeltaState
{
    /// <summary>A server claimed it and is generating it (the claim expires after a lease, so a crashed server's claim is taken over).</summary>
    Generating,

    /// <summary>The delta artifact is on the artifact storage.</summary>
    Ready,

    /// <summary>Generation failed (or the pair has no delta-capable form); devices get the full image. An operator may retry.</summary>
    Failed,
}

/// <summary>A delta artifact the server generated (or is generating) for one pair of OS images.</summary>
public sealed record DeltaRecord
{
    public required string Id { get; init; }

    public required DeltaKey Key { get; init; }

    public required DeltaState State { get; init; }

    /// <summary>The delta encoding (xdelta3).</summary>
    public required string Format { get; init; }

    /// <summary>The base's and target's OS image names (rootfs-image.version), for people and byte estimates.</summary>
    public required string BaseImage { get; init; }

    public required string TargetImage { get; init; }

    /// <summary>The delta artifact's file under the artifact storage's deltas folder, once ready.</summary>
    public string? FileName { get; init; }

    /// <summary>The delta artifact's size and SHA-256 (what a device downloads), once ready.</summary>
    public long? Size { get; init; }

    public string? Checksum { get; init; }

    /// <summary>The full target artifact's size, for the saving shown beside the delta's.</summary>
    public long TargetSize { get; init; }

    /// <summary>Why generation failed.</summary>
    public string? Error { get; init; }

    /// <summary>The server instance that claimed the generation, and when (its lease starts then).</summary>
    public string? ClaimedBy { get; init; }

    public required DateTimeOffset ClaimedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>How long generation took (milliseconds).</summary>
    public long? GenerationMs { get; init; }
}

/// <summary>The result of asking to generate a delta: whether this caller now owns the work, and the row as it stands.</summary>
public sealed record DeltaClaim(bool Claimed, DeltaRecord Delta);

/// <summary>A delta offered to a device for one attempt of one device deployment (so a retry never repeats a failed delta).</summary>
public sealed record DeltaOfferRecord(string DeviceDeploymentId, int Attempt, string DeviceId, string DeltaId, DateTimeOffset OfferedAt);
