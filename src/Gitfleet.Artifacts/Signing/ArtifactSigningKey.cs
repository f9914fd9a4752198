using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// A private key that signs artifact manifests the way mender-artifact does: RSA PKCS#1 v1.5 with SHA-256, or
/// ECDSA P-256 with SHA-256 encoded as the 64-byte r||s concatenation (mender-artifact 3.9 and the Mender
/// client accept only that length). Ed25519 artifact signing is not offered: mender-artifact and the Mender
/// client do not verify Ed25519 artifact signatures.
/// <para>Accepted PEM: <c>RSA PRIVATE KEY</c> (PKCS#1), <c>EC PRIVATE KEY</c> (SEC 1) and unencrypted
/// <c>PRIVATE KEY</c> (PKCS#8) holding RSA or EC P-256.</para>
/// </summary>
public sealed class ArtifactSigningKey : IDisposable
{
    private readonly RSA? rsa;
    private readonly ECDsa? ecdsa;

    private ArtifactSigningKey(RSA? rsa, ECDsa? ecdsa)
    {
        this.rsa = rsa;
        this.ecdsa = ecdsa;
        Algorithm = rsa is not null ? SignatureAlgorithm.Rsa : SignatureAlgorithm.EcdsaP256;
    }

    public SignatureAlgorithm Algorithm { get; }

    /// <summary>
    /// Loads a PEM private key. Throws <see cref="FormatException"/> with a message that names the problem and
    /// never contains key material.
    /// </summary>
    public static ArtifactSigningKey FromPem(string privateKeyPem)
    {
        const string What = "private key";
        var block = PemBlock.Parse(privateKeyPem, What);
        try
        {
            switch (block.Label)
            {
                case "RSA PRIVATE KEY":
                    {
                        var key = RSA.Create();
                        key.ImportRSAPrivateKey(block.Der, out _);
                        return new ArtifactSigningKey(key, null);
                    }

                case "EC PRIVATE KEY":
                    {
                        var key = ECDsa.Create();
                        key.ImportECPrivateKey(block.Der, out _);
                        return new ArtifactSigningKey(null, RequireP256(key));
                    }

                case "PRIVATE KEY":
                    return FromPkcs8(block, What);
                case "ENCRYPTED PRIVATE KEY":
                    throw new FormatException("encrypted private keys are not supported; decrypt the key first");
                default:
                    throw new FormatException(
                        $"the PEM block is a '{block.Label}', not a private key (expected 'RSA PRIVATE KEY', 'EC PRIVATE KEY' or 'PRIVATE KEY')");
            }
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the private key cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>The raw signature of <paramref name="data"/> (not base64).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        rsa is not null
            ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : ecdsa!.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>The matching public key as PEM SubjectPublicKeyInfo (what <c>mender-artifact validate -k</c> takes).</summary>
    public string ExportPublicKeyPem() =>
        rsa is not null ? rsa.ExportSubjectPublicKeyInfoPem() : ecdsa!.ExportSubjectPublicKeyInfoPem();

    public void Dispose()
    {
        rsa?.Dispose();
        ecdsa?.Dispose();
    }

    private static ArtifactSigningKey FromPkcs8(PemBlock block, string what)
    {
        var (algorithm, _) = block.ReadAlgorithm(pkcs8: true, what);
        switch (algorithm)
        {
            case KeyOids.Rsa:
                {
                    var key = RSA.Create();
                    key.ImportPkcs8PrivateKey(block.Der, out _);
                    return new ArtifactSigningKey(key, null);
                }

            case KeyOids.EcPublicKey:
                {
                    var key = ECDsa.Create();
                    key.ImportPkcs8PrivateKey(block.Der, out _);
                    return new ArtifactSigningKey(null, RequireP256(key));
                }

            case KeyOids.Ed25519:
                throw new FormatException(
                    "Ed25519 keys cannot sign artifacts: mender-artifact and the Mender client verify only RSA and ECDSA P-256 artifact signatures");
            default:
                throw new FormatException($"unsupported private key algorithm {algorithm}; use RSA or ECDSA P-256");
        }
    }

    private static ECDsa RequireP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (curve.Oid?.Value != KeyOids.P256 && curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256" or "prime256v1"))
        {
            key.Dispose();
            throw new FormatException("ECDSA keys must use the curve P-256 (prime256v1), as mender-artifact requires");
        }

        return key;
    }
}
