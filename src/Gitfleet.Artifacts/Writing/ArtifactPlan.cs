namespace Gitfleet.Artifacts.Writing;

/// <summary>
/// Everything the writer puts into an artifact with one payload, after validation: what both the module-image
/// and the rootfs-image definitions turn into.
/// </summary>
internal sealed record ArtifactPlan(
    string Name,
    IReadOnlyList<string> DeviceTypes,
    string? ArtifactGroup,
    IReadOnlyList<string> DependsOnArtifactNames,
    IReadOnlyList<string> DependsOnGroups,
    string PayloadType,
    IReadOnlyDictionary<string, string> Provides,
    IReadOnlyDictionary<string, string> Depends,
    IReadOnlyList<string>? ClearsProvides,
    byte[]? MetaData,
    bool WriteEmptyMetaData,
    IReadOnlyList<ArtifactFileSource> Files);
