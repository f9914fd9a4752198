namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// One-shot signature verification with a PEM public key: RSA PKCS#1 v1.5 SHA-256, ECDSA P-256 SHA-256 (raw
/// r||s or DER) and Ed25519. See <see cref="VerificationKey"/> for the accepted key and signature encodings;
/// parse a <see cref="VerificationKey"/> yourself to verify many signatures with one key.
/// </summary>
public static class SignatureVerifier
{
    /// <summary>
    /// True when <paramref name="signature"/> (raw bytes, not base64) signs <paramref name="data"/> under the key.
    /// A malformed or unsupported key throws <see cref="FormatException"/>; a wrong or malformed signature
    /// returns false.
    /// </summary>
    public static bool Verify(string publicKeyPem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var key = VerificationKey.FromPem(publicKeyPem);
        return key.Verify(data, signature);
    }
}
