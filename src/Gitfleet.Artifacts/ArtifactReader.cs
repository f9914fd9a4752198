using Gitfleet.Artifacts.Reading;
using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Artifacts;

/// <summary>
/// Reads and verifies a Mender artifact (format version 3) in one forward pass with bounded memory: the upload can
/// be teed to a file while it is read. Checks the entry order, every manifest checksum (version, header, each
/// payload file), the header JSON, and the manifest signature when verification keys are configured.
/// </summary>
public static class ArtifactReader
{
    /// <summary>Reads <paramref name="artifact"/> with <see cref="ArtifactReaderOptions.Default"/> (no signature check).</summary>
    public static Task<ArtifactInfo> ReadAsync(Stream artifact, CancellationToken cancellationToken = default) =>
        ReadAsync(artifact, ArtifactReaderOptions.Default, cancellationToken);

    /// <summary>
    /// Reads <paramref name="artifact"/> to its end and returns what it declares, with its size and SHA-256.
    /// Throws <see cref="ArtifactFormatException"/> with a message saying what is wrong when the artifact is
    /// malformed, truncated, fails a checksum or (with keys configured) is unsigned or signed by another key.
    /// Throws <see cref="ArgumentException"/> when a configured verification key is not a usable PEM public key.
    /// </summary>
    public static async Task<ArtifactInfo> ReadAsync(Stream artifact, ArtifactReaderOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(options);
        var keys = ParseKeys(options.VerificationKeys);
        try
        {
            return await new ArtifactReadSession(options, keys).ReadAsync(artifact, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    private static List<VerificationKey> ParseKeys(IReadOnlyList<string> pems)
    {
        var keys = new List<VerificationKey>(pems.Count);
        try
        {
            for (var i = 0; i < pems.Count; i++)
            {
                try
                {
                    keys.Add(VerificationKey.FromPem(pems[i]));
                }
                catch (FormatException e)
                {
                    throw new ArgumentException($"verification key {i + 1} is not usable: {e.Message}", nameof(pems), e);
                }
            }

            return keys;
        }
        catch
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }

            throw;
        }
    }
}
