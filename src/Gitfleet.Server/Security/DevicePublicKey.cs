using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Server.Security;

/// <summary>
/// Device public keys as the Mender client sends them in auth requests: RSA (the client's default, 3072 bits),
/// ECDSA P-256 or Ed25519, in PEM. Verification is delegated to Gitfleet.Artifacts' verifier (RSA PKCS#1 v1.5
/// SHA-256; ECDSA in DER or raw r||s form; Ed25519 per RFC 8032).
/// </summary>
public static class DevicePublicKey
{
    /// <summary>The key in canonical SubjectPublicKeyInfo PEM; throws <see cref="FormatException"/> when it is no supported key.</summary>
    public static string Normalize(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        try
        {
            using var key = VerificationKey.FromPem(pem);
            return key.ExportSubjectPublicKeyInfoPem() + "\n";
        }
        catch (FormatException e)
        {
            throw new FormatException($"pubkey is not a usable RSA, ECDSA P-256 or Ed25519 public key: {e.Message}", e);
        }
    }

    public static bool Verify(string pem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return SignatureVerifier.Verify(pem, data, signature);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
