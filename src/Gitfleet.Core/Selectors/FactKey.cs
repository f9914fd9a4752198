using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Selectors;

/// <summary>A fact selector's key, parsed: which part of the facts it reads, and the name within a map.</summary>
internal readonly record struct FactKey(FactKind Kind, string Name)
{
    public static FactKey Parse(string key) => key switch
    {
        "id" => new(FactKind.Id, key),
        "status" => new(FactKind.Status, key),
        "device_type" => new(FactKind.DeviceType, key),
        "artifact_name" => new(FactKind.ArtifactName, key),
        _ when key.StartsWith("tags.", StringComparison.Ordinal) => new(FactKind.Tag, key[5..]),
        _ when key.StartsWith("attributes.", StringComparison.Ordinal) => new(FactKind.Attribute, key[11..]),
        _ when key.StartsWith("identity.", StringComparison.Ordinal) => new(FactKind.Identity, key[9..]),
        _ => new(FactKind.Unknown, key),
    };

    /// <summary>The value this key reads from a device's facts; null when absent.</summary>
    public string? Of(DeviceFacts facts) => Kind switch
    {
        FactKind.Id => facts.Id,
        FactKind.Status => facts.Status,
        FactKind.DeviceType => facts.DeviceType,
        FactKind.ArtifactName => facts.ArtifactName,
        FactKind.Tag => facts.Tags.GetValueOrDefault(Name),
        FactKind.Attribute => facts.Attributes.GetValueOrDefault(Name),
        FactKind.Identity => facts.Identity.GetValueOrDefault(Name),
        _ => null,
    };
}

internal enum FactKind
{
    Unknown,
    Id,
    Status,
    DeviceType,
    ArtifactName,
    Tag,
    Attribute,
    Identity,
}
