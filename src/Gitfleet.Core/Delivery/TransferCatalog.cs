using System.Text.Json.Serialization;

namespace Gitfleet.Core.Delivery;

/// <summary>
/// What downloads cost: the OS artifacts a server holds (size, whether deltas can be made from and to them) and the
/// deltas it generated. The server sends it as the <c>catalog</c> of the facts document (docs/facts.md); a facts
/// file may carry one too. Byte estimates (<see cref="TransferEstimator"/>) read it.
/// </summary>
public sealed record TransferCatalog
{
    public static readonly TransferCatalog Empty = new();

    public IReadOnlyList<CatalogArtifact> Artifacts { get => field; init => field = value ?? []; } = [];

    public IReadOnlyList<CatalogDelta> Deltas { get => field; init => field = value ?? []; } = [];
}

/// <summary>A full OS artifact: its name (what os_image names), the image version it installs, its device types and size.</summary>
public sealed record CatalogArtifact
{
    public required string Name { get; init; }

    /// <summary>The rootfs-image.version it installs (usually the name).</summary>
    public string? Image { get; init; }

    public IReadOnlyList<string> DeviceTypes { get => field; init => field = value ?? []; } = [];

    public long Size { get; init; }

    /// <summary>Deltas can be generated from and to it (a gitfleet-ab image artifact).</summary>
    public bool DeltaCapable { get; init; }
}

/// <summary>A generated (or generating, or failed) delta between two image versions for one device type.</summary>
public sealed record CatalogDelta
{
    public required string From { get; init; }

    public required string To { get; init; }

    public required string DeviceType { get; init; }

    /// <summary>generating, ready or failed.</summary>
    public required string State { get; init; }

    /// <summary>The delta artifact's size once ready.</summary>
    public long? Size { get; init; }

    public const string Ready = "ready";
    public const string Generating = "generating";
    public const string Failed = "failed";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = true, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(TransferCatalog))]
[JsonSerializable(typeof(TransferEstimate))]
public sealed partial class DeliveryJson : JsonSerializerContext;
