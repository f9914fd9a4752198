namespace Gitfleet.Storage.Model;

/// <summary>
/// An uploaded artifact. <see cref="Metadata"/> holds what the artifact parser found (payloads, provides,
/// depends) as JSON; the file lives in the data dir under <see cref="FileName"/>.
/// </summary>
public sealed record ArtifactRecord
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string Description { get; init; } = "";

    public required IReadOnlyList<string> DeviceTypes { get; init; }

    public required Gitfleet.Artifacts.ArtifactInfo Metadata { get; init; }

    public required long Size { get; init; }

    public string? Checksum { get; init; }

    public bool Signed { get; init; }

    public required string FileName { get; init; }

    /// <summary>True for artifacts the server generated (configuration deployments): hidden from artifact lists.</summary>
    public bool Generated { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
