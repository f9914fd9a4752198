using System.Text;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// The content of <c>manifest.sig</c>: the standard base64 encoding (no line breaks) of a signature over the exact
/// bytes of <c>manifest</c>, as mender-artifact writes it.
/// </summary>
internal static class ManifestSignature
{
    public static byte[] Create(ArtifactSigningKey key, ReadOnlySpan<byte> manifest) =>
        Encoding.ASCII.GetBytes(Convert.ToBase64String(key.Sign(manifest)));

    /// <summary>
    /// Checks <paramref name="signatureFile"/> against <paramref name="manifest"/> with each key; throws an
    /// <see cref="ArtifactFormatException"/> when it is not base64 or no key verifies it.
    /// </summary>
    public static void Verify(ReadOnlySpan<byte> signatureFile, ReadOnlySpan<byte> manifest, IReadOnlyList<VerificationKey> keys)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(Encoding.ASCII.GetString(signatureFile).Trim());
        }
        catch (FormatException e)
        {
            throw new ArtifactFormatException("'manifest.sig' is not base64 text", e);
        }

        foreach (var key in keys)
        {
            if (key.Verify(manifest, signature))
            {
                return;
            }
        }

        throw new ArtifactFormatException(
            $"the signature in 'manifest.sig' does not verify with {(keys.Count == 1 ? "the configured verification key" : $"any of the {keys.Count} configured verification keys")} "
            + "(signed with another key, or the manifest was changed)");
    }
}
