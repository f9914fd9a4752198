using System.Globalization;
using System.Text.Json.Nodes;

namespace Gitfleet.Artifacts.Delta;

/// <summary>
/// A delta OS update as a Mender artifact: one <c>gitfleet-delta</c> module payload whose file is the binary delta
/// from the base image to the target image, with the facts the device needs to rebuild and check the target as
/// flat string meta-data (<see cref="DeltaMetaData"/>). Its name, provides and clears are the target artifact's, so
/// installing it leaves the device exactly as installing the full target would (the device reports the target's
/// name and <c>rootfs-image.version</c>); files the target ships beside its image (a health check) ride along.
/// </summary>
public static class DeltaArtifact
{
    /// <summary>The payload type: the gitfleet-delta update module of the device package.</summary>
    public const string PayloadType = "gitfleet-delta";

    /// <summary>The name of the delta file inside the payload: the target image's file name plus this suffix.</summary>
    public const string DeltaFileSuffix = ".vcdiff";

    /// <summary>Writes the delta artifact; the target's name, device types, provides and clears are kept.</summary>
    public static Task WriteAsync(Stream output, DeltaArtifactDefinition definition, ArtifactWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var files = new List<ArtifactFileSource> { definition.Delta };
        files.AddRange(definition.ExtraFiles);
        return ArtifactWriter.WriteModuleImageAsync(output, new ModuleImageDefinition
        {
            Name = definition.TargetName,
            DeviceTypes = definition.DeviceTypes,
            Type = PayloadType,
            Files = files,
            MetaData = definition.MetaData.ToJson(),
            Provides = definition.Provides,
            ClearsProvides = definition.ClearsProvides,
        }, options ?? new ArtifactWriterOptions { DataCompression = System.IO.Compression.CompressionLevel.NoCompression }, cancellationToken);
    }
}

/// <summary>What a delta artifact is made of (see <see cref="DeltaArtifact"/>).</summary>
public sealed record DeltaArtifactDefinition
{
    /// <summary>The target artifact's name: what the device reports after the update.</summary>
    public required string TargetName { get; init; }

    public required IReadOnlyList<string> DeviceTypes { get; init; }

    /// <summary>The delta file (named after the image plus <see cref="DeltaArtifact.DeltaFileSuffix"/>).</summary>
    public required ArtifactFileSource Delta { get; init; }

    /// <summary>The target payload's other files (a health check), copied as they are.</summary>
    public IReadOnlyList<ArtifactFileSource> ExtraFiles { get; init; } = [];

    public required DeltaMetaData MetaData { get; init; }

    /// <summary>The target payload's provides (<c>rootfs-image.version</c> ...).</summary>
    public IReadOnlyDictionary<string, string> Provides { get; init; } = new Dictionary<string, string>();

    /// <summary>The target payload's clears_artifact_provides (null: the field is left out, as in the target).</summary>
    public IReadOnlyList<string>? ClearsProvides { get; init; }
}

/// <summary>
/// The meta-data of a <c>gitfleet-delta</c> payload: a flat JSON object of strings (what the Mender client hands to
/// the module as <c>header/meta-data</c>). The device checks the base before patching and the result before it
/// switches: both by size and SHA-256.
/// </summary>
public sealed record DeltaMetaData
{
    /// <summary>The delta encoding; devices announce the ones they can apply (<c>gitfleet_delta_formats</c>).</summary>
    public required string Format { get; init; }

    /// <summary>The image file inside the slot (the full artifact's payload file name, e.g. rootfs.ext4).</summary>
    public required string Image { get; init; }

    /// <summary>The delta file inside the payload.</summary>
    public required string DeltaFile { get; init; }

    public required string BaseVersion { get; init; }

    public required string BaseSha256 { get; init; }

    public required long BaseSize { get; init; }

    public required string TargetVersion { get; init; }

    public required string TargetSha256 { get; init; }

    public required long TargetSize { get; init; }

    public JsonObject ToJson() => new()
    {
        ["base_sha256"] = BaseSha256,
        ["base_size"] = BaseSize.ToString(CultureInfo.InvariantCulture),
        ["base_version"] = BaseVersion,
        ["delta_file"] = DeltaFile,
        ["format"] = Format,
        ["image"] = Image,
        ["target_sha256"] = TargetSha256,
        ["target_size"] = TargetSize.ToString(CultureInfo.InvariantCulture),
        ["target_version"] = TargetVersion,
    };

    /// <summary>Reads the meta-data of a delta payload (as <see cref="ArtifactPayload.MetaData"/> holds it); null when it is not one.</summary>
    public static DeltaMetaData? Parse(string? json)
    {
        if (json is null || JsonNode.Parse(json) is not JsonObject node)
        {
            return null;
        }

        string? Text(string key) => node[key] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        long? Number(string key) => long.TryParse(Text(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        return Text("format") is { } format && Text("image") is { } image && Text("delta_file") is { } deltaFile
            && Text("base_version") is { } baseVersion && Text("base_sha256") is { } baseSha && Number("base_size") is { } baseSize
            && Text("target_version") is { } targetVersion && Text("target_sha256") is { } targetSha && Number("target_size") is { } targetSize
            ? new DeltaMetaData
            {
                Format = format, Image = image, DeltaFile = deltaFile,
                BaseVersion = baseVersion, BaseSha256 = baseSha, BaseSize = baseSize,
                TargetVersion = targetVersion, TargetSha256 = targetSha, TargetSize = targetSize,
            }
            : null;
    }
}
