using Gitfleet.Artifacts;

namespace Gitfleet.Server.Artifacts;

/// <summary>
/// The server's seam onto Gitfleet.Artifacts: read and verify an uploaded artifact, and write a configuration
/// artifact. The interim implementation (Interim/) stands in until ArtifactReader/ArtifactWriter land; then
/// <see cref="ArtifactSeam"/> switches to them and Interim/ is deleted.
/// </summary>
internal interface IArtifactInspector
{
    /// <summary>Reads the whole artifact; throws <see cref="ArtifactFormatException"/> saying what is wrong.</summary>
    Task<ArtifactInfo> ReadAsync(Stream artifact, IReadOnlyList<string> verifyKeysPem, CancellationToken cancellationToken);

    /// <summary>A mender-configure module-image artifact whose meta-data is the configuration.</summary>
    void WriteConfigurationArtifact(Stream output, string artifactName, IReadOnlyList<string> deviceTypes, IReadOnlyDictionary<string, string> configuration);
}
