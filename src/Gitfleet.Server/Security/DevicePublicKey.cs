using System.Security.Cryptography;

namespace Gitfleet.Server.Security;

/// <summary>
/// A device's public key from an auth request: parsed once, normalised to one PEM spelling (so the same key
/// always matches the same auth set), and used to verify the X-MEN-Signature over the raw request body.
/// RSA (PKCS#1 v1.5, SHA-256) and ECDSA P-256 keys are supported here; Ed25519 arrives with Gitfleet.Artifacts'
/// SignatureVerifier.
/// </summary>
public static class DevicePublicKey
{
    /// <summary>The key in canonical SubjectPublicKeyInfo PEM; throws <see cref="FormatException"/> when it is no supported key.</summary>
    public static string Normalize(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (TryImport(pem, out var rsa, out var ecdsa))
        {
            using (rsa)
            using (ecdsa)
            {
                return (rsa is not null ? rsa.ExportSubjectPublicKeyInfoPem() : ecdsa!.ExportSubjectPublicKeyInfoPem()) + "\n";
            }
        }

        throw new FormatException("pubkey is not a PEM-encoded RSA or ECDSA P-256 public key");
    }

    public static bool Verify(string pem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!TryImport(pem, out var rsa, out var ecdsa))
        {
            return false;
        }

        using (rsa)
        using (ecdsa)
        {
            try
            {
                if (rsa is not null)
                {
                    return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }

                // Go's crypto/ecdsa signs in ASN.1 DER; accept the raw r||s form too.
                return ecdsa!.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
                    || ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
            catch (CryptographicException)
            {
                return false;
            }
        }
    }

    private static bool TryImport(string pem, out RSA? rsa, out ECDsa? ecdsa)
    {
        rsa = null;
        ecdsa = null;
        var candidate = RSA.Create();
        try
        {
            candidate.ImportFromPem(pem);
            rsa = candidate;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            candidate.Dispose();
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            if (ec.KeySize != 256)
            {
                ec.Dispose();
                return false;
            }

            ecdsa = ec;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ec.Dispose();
            return false;
        }
    }
}
