namespace Gitfleet.Core.Rollouts;

/// <summary>
/// The name of the configuration artifact a deployment carries: the configuration's checksum prefix and the
/// deployment's own suffix. A device reports the name of the last artifact it installed, and the Mender client
/// (like the server) answers "already-installed" to an artifact of that name: so every configuration deployment, a
/// drift correction or the re-send of an unchanged configuration included, needs a name the device does not report already.
/// </summary>
public static class ConfigurationArtifactName
{
    public static string Of(string checksum, string deploymentId)
    {
        ArgumentNullException.ThrowIfNull(checksum);
        ArgumentNullException.ThrowIfNull(deploymentId);
        var suffix = deploymentId.Replace("-", "", StringComparison.Ordinal);
        return $"configuration-{checksum[..12]}-{suffix[^8..]}";
    }

    /// <summary>Whether <paramref name="artifactName"/> is one of the configuration artifacts generated for <paramref name="checksum"/>.</summary>
    public static bool IsOf(string artifactName, string checksum)
    {
        ArgumentNullException.ThrowIfNull(artifactName);
        ArgumentNullException.ThrowIfNull(checksum);
        return checksum.Length >= 12 && artifactName.StartsWith($"configuration-{checksum[..12]}-", StringComparison.Ordinal);
    }
}
