using System.Buffers;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tar;
using Gitfleet.Artifacts.Writing;

namespace Gitfleet.Artifacts;

/// <summary>
/// Writes Mender artifacts (format version 3, gzip) that mender-artifact 3.9 and the Mender client accept.
/// Output is deterministic: equal definitions give equal bytes (fixed modification times, owner 0/0, mode 0644,
/// fixed entry and key order). Signing keeps that with RSA (PKCS#1 v1.5 is deterministic); ECDSA signatures are
/// randomized, so manifest.sig differs from run to run.
/// Invalid definitions throw <see cref="ArgumentException"/> naming the field.
/// </summary>
public static class ArtifactWriter
{
    /// <summary>Writes a module-image artifact (like <c>mender-artifact write module-image</c>).</summary>
    public static async Task WriteModuleImageAsync(
        Stream output, ModuleImageDefinition definition, ArtifactWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plan = ArtifactPlans.FromModuleImage(definition);
        var files = await HashedFile.HashAllAsync(plan.Files, cancellationToken).ConfigureAwait(false);
        await WriteAsync(output, plan, files, options ?? ArtifactWriterOptions.Default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a rootfs-image artifact (like <c>mender-artifact write rootfs-image</c>).</summary>
    public static async Task WriteRootfsImageAsync(
        Stream output, RootfsImageDefinition definition, ArtifactWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(definition.Image);
        var files = await HashedFile.HashAllAsync([definition.Image], cancellationToken).ConfigureAwait(false);
        var plan = ArtifactPlans.FromRootfsImage(definition, files[0].Checksum);
        await WriteAsync(output, plan, files, options ?? ArtifactWriterOptions.Default, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Builds a configuration artifact in memory (see <see cref="ConfigurationArtifact"/> for its shape): a
    /// <c>mender-configure</c> payload whose meta-data is <paramref name="configuration"/> with keys in ordinal order.
    /// Signs it when <paramref name="signingKey"/> is given (clients configured with a verification key refuse
    /// unsigned artifacts, configuration artifacts included).
    /// </summary>
    public static byte[] CreateConfigurationArtifact(
        string artifactName,
        IReadOnlyList<string> deviceTypes,
        IReadOnlyDictionary<string, string> configuration,
        ArtifactSigningKey? signingKey = null) =>
        ConfigurationArtifact.Create(artifactName, deviceTypes, configuration, signingKey);

    /// <summary>Writes <see cref="CreateConfigurationArtifact"/>'s bytes to <paramref name="output"/> (synchronously).</summary>
    public static void WriteConfigurationArtifact(
        Stream output,
        string artifactName,
        IReadOnlyList<string> deviceTypes,
        IReadOnlyDictionary<string, string> configuration,
        ArtifactSigningKey? signingKey = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(ConfigurationArtifact.Create(artifactName, deviceTypes, configuration, signingKey));
    }

    private static async Task WriteAsync(
        Stream output, ArtifactPlan plan, IReadOnlyList<HashedFile> files, ArtifactWriterOptions options, CancellationToken cancellationToken)
    {
        var header = HeaderArchiveBuilder.Build(plan);
        var prologue = new ArrayBufferWriter<byte>(header.Length + (8 * TarBlocks.BlockSize));
        ArtifactPrologue.Write(prologue, header, files, options.SigningKey);
        await output.WriteAsync(prologue.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await PayloadArchiveWriter.WriteAsync(output, files, options.DataCompression, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(new byte[TarBlocks.EndOfArchiveSize], cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
