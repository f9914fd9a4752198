using System.Buffers;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tar;
using Gitfleet.Artifacts.Writing;

namespace Gitfleet.Artifacts;

/// <summary>
/// The configuration artifact Gitfleet generates for each configuration deployment, shaped like the one Mender's
/// deployments service generates: a <c>mender-configure</c> module payload without files whose meta-data is the
/// configuration (a flat JSON object of strings). It provides only
/// <c>data-partition.mender-configure.version</c> and clears only <c>data-partition.mender-configure.*</c>, so
/// installing it keeps every other provide of the device, <c>rootfs-image.version</c> in particular (the client
/// still records the new artifact_name).
/// </summary>
public static class ConfigurationArtifact
{
    /// <summary>The payload type: the mender-configure update module.</summary>
    public const string PayloadType = "mender-configure";

    /// <summary>The one provide a configuration artifact sets (to the artifact name).</summary>
    public const string VersionProvide = "data-partition.mender-configure.version";

    /// <summary>The one clears_artifact_provides pattern: earlier configuration versions only.</summary>
    public const string ClearsProvidesPattern = "data-partition.mender-configure.*";

    /// <summary>Builds the whole artifact in memory; see <see cref="ArtifactWriter.CreateConfigurationArtifact"/>.</summary>
    internal static byte[] Create(
        string artifactName,
        IReadOnlyList<string> deviceTypes,
        IReadOnlyDictionary<string, string> configuration,
        ArtifactSigningKey? signingKey)
    {
        ArtifactPlans.ValidateHeader(artifactName, deviceTypes);
        ArgumentNullException.ThrowIfNull(configuration);

        var metaData = new ArrayBufferWriter<byte>(256);
        HeaderJson.WriteStringMap(metaData, configuration);
        var plan = new ArtifactPlan(
            artifactName,
            deviceTypes,
            ArtifactGroup: null,
            DependsOnArtifactNames: [],
            DependsOnGroups: [],
            PayloadType,
            new Dictionary<string, string>(1) { [VersionProvide] = artifactName },
            new Dictionary<string, string>(),
            [ClearsProvidesPattern],
            metaData.WrittenSpan.ToArray(),
            WriteEmptyMetaData: false,
            Files: []);

        var header = HeaderArchiveBuilder.Build(plan);
        var empty = PayloadArchiveWriter.EmptyArchive;
        var output = new ArrayBufferWriter<byte>(header.Length + empty.Length + (8 * TarBlocks.BlockSize));
        ArtifactPrologue.Write(output, header, [], signingKey);
        var tar = new TarBuilder(output);
        tar.AddFile(ArtifactPrologue.DataEntryName, empty);
        tar.AddEnd();
        return output.WrittenSpan.ToArray();
    }
}
