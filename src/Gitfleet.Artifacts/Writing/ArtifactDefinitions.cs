using System.Text.Json.Nodes;

namespace Gitfleet.Artifacts;

/// <summary>
/// A module-image artifact (one payload handled by the update module named <see cref="Type"/>), the equivalent of
/// <c>mender-artifact write module-image</c>. Nothing is added implicitly: unlike mender-artifact, no default
/// <c>rootfs-image.&lt;type&gt;.version</c> provide and no default clears_artifact_provides are written.
/// </summary>
public sealed record ModuleImageDefinition
{
    /// <summary>artifact_provides.artifact_name.</summary>
    public required string Name { get; init; }

    /// <summary>artifact_depends.device_type: at least one.</summary>
    public required IReadOnlyList<string> DeviceTypes { get; init; }

    /// <summary>The payload type, that is the update module name (for example single-file, mender-configure).</summary>
    public required string Type { get; init; }

    public IReadOnlyList<ArtifactFileSource> Files { get; init; } = [];

    /// <summary>The payload's meta-data (headers/0000/meta-data), a JSON object; omitted when null or empty.</summary>
    public JsonObject? MetaData { get; init; }

    /// <summary>type-info artifact_provides.</summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>type-info artifact_depends.</summary>
    public IReadOnlyDictionary<string, string> Depends { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// type-info clears_artifact_provides (wildcards with '*'). Null or empty omits the field, and then the Mender
    /// client drops every provide of the previously installed artifact, rootfs-image.version included.
    /// </summary>
    public IReadOnlyList<string>? ClearsProvides { get; init; }

    /// <summary>artifact_provides.artifact_group.</summary>
    public string? ArtifactGroup { get; init; }

    /// <summary>artifact_depends.artifact_name: installable only over one of these artifacts.</summary>
    public IReadOnlyList<string> DependsOnArtifactNames { get; init; } = [];

    /// <summary>artifact_depends.artifact_group.</summary>
    public IReadOnlyList<string> DependsOnGroups { get; init; } = [];
}

/// <summary>
/// A rootfs-image artifact, the equivalent of <c>mender-artifact write rootfs-image</c>: one image file, provides
/// <c>rootfs-image.version</c> (the software version, by default the artifact name) and
/// <c>rootfs-image.checksum</c>, and clears artifact_group, rootfs_image_checksum and rootfs-image.* as
/// mender-artifact does.
/// </summary>
public sealed record RootfsImageDefinition
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> DeviceTypes { get; init; }

    /// <summary>The filesystem image.</summary>
    public required ArtifactFileSource Image { get; init; }

    /// <summary>The value of rootfs-image.version; the artifact name when null.</summary>
    public string? SoftwareVersion { get; init; }

    /// <summary>Extra type-info artifact_provides.</summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>type-info artifact_depends.</summary>
    public IReadOnlyDictionary<string, string> Depends { get; init; } = new Dictionary<string, string>();

    public string? ArtifactGroup { get; init; }

    public IReadOnlyList<string> DependsOnArtifactNames { get; init; } = [];

    public IReadOnlyList<string> DependsOnGroups { get; init; } = [];
}
