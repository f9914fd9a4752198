using Gitfleet.Artifacts.Signing;
using Gitfleet.Server.Domain;

namespace Gitfleet.Server.Security;

/// <summary>
/// A device public key as the Mender client sends it in auth requests: RSA (the client's default, 3072 bits),
/// ECDSA P-256 or Ed25519, in PEM. Parsed once per request: <see cref="Pem"/> is its canonical form (what the
/// store keeps and compares), <see cref="Verify"/> checks the request's signature with the same parsed key.
/// Verification is Gitfleet.Artifacts' verifier (RSA PKCS#1 v1.5 SHA-256; ECDSA in DER or raw r||s form, a P-256 key
/// in the canonical form held by libcrypto directly, see <see cref="OpenSslP256Key"/>; Ed25519 through libsodium).
/// </summary>
public sealed class DevicePublicKey : IDisposable
{
    private readonly VerificationKey key;

    private DevicePublicKey(VerificationKey key)
    {
        this.key = key;
        Pem = key.ExportSubjectPublicKeyInfoPem() + "\n";
    }

    /// <summary>The key in canonical SubjectPublicKeyInfo PEM.</summary>
    public string Pem { get; }

    /// <summary>Parses a key; a key that is no supported public key is refused as invalid input.</summary>
    public static DevicePublicKey Parse(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        try
        {
            return new DevicePublicKey(VerificationKey.FromPem(pem));
        }
        catch (FormatException e)
        {
            throw DomainException.Invalid($"pubkey is not a usable RSA, ECDSA P-256 or Ed25519 public key: {e.Message}");
        }
    }

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

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            return key.Verify(data, signature);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public void Dispose() => key.Dispose();
}
