using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// A parsed public key that verifies signatures: RSA (PKCS#1 v1.5, SHA-256), ECDSA P-256 (SHA-256) or Ed25519.
/// Parse once with <see cref="FromPem"/> and reuse it; dispose it when done.
/// <para>Accepted PEM: <c>PUBLIC KEY</c> (SubjectPublicKeyInfo, any of the three algorithms) and
/// <c>RSA PUBLIC KEY</c> (PKCS#1).</para>
/// <para>Accepted signature encodings: RSA, the raw signature (modulus length); ECDSA, either the 64-byte
/// r||s concatenation (IEEE P1363) that mender-artifact writes, or the DER SEQUENCE of two INTEGERs that
/// OpenSSL, the Mender client and PKCS#11 tokens produce; Ed25519, the 64-byte R||S of RFC 8032.</para>
/// <para>A P-256 key in the canonical form (uncompressed point) is held by libcrypto directly
/// (<see cref="OpenSslP256Key"/>: a fifth of .NET's import cost); any other form, or a machine without OpenSSL 3,
/// goes through .NET's <see cref="ECDsa"/>. Both accept and refuse the same keys and signatures.</para>
/// </summary>
public sealed class VerificationKey : IDisposable
{
    private const int P1363SignatureLength = 64;

    /// <summary>
    /// The DER header of a P-256 SubjectPublicKeyInfo with an uncompressed point (SEQUENCE { SEQUENCE { id-ecPublicKey,
    /// prime256v1 }, BIT STRING { 04 X Y } }): followed by the 64 bytes of X and Y, it is exactly what exporting the
    /// key writes.
    /// </summary>
    private static ReadOnlySpan<byte> P256SpkiPrefix =>
    [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
        0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];

    private readonly RSA? rsa;
    private readonly ECDsa? ecdsa;
    private readonly OpenSslP256Key? p256;
    private readonly byte[]? ed25519;

    /// <summary>The SubjectPublicKeyInfo as read, when it is already in the form an export writes (else null).</summary>
    private readonly byte[]? canonicalSpki;

    private VerificationKey(SignatureAlgorithm algorithm, RSA? rsa, ECDsa? ecdsa, byte[]? ed25519, byte[]? canonicalSpki = null)
    {
        Algorithm = algorithm;
        this.rsa = rsa;
        this.ecdsa = ecdsa;
        this.ed25519 = ed25519;
        this.canonicalSpki = canonicalSpki;
    }

    private VerificationKey(OpenSslP256Key p256, byte[] canonicalSpki)
        : this(SignatureAlgorithm.EcdsaP256, null, null, null, canonicalSpki) => this.p256 = p256;

    public SignatureAlgorithm Algorithm { get; }

    /// <summary>Whether libcrypto holds the key directly (<see cref="OpenSslP256Key"/>), not .NET's <see cref="ECDsa"/>.</summary>
    internal bool IsHeldByOpenSsl => p256 is not null;

    /// <summary>
    /// Parses a PEM public key. Throws <see cref="FormatException"/> with a message naming the problem
    /// (not PEM, unsupported algorithm, an EC curve other than P-256, a malformed key); the message never
    /// contains the key material.
    /// </summary>
    public static VerificationKey FromPem(string publicKeyPem)
    {
        const string What = "public key";
        var block = PemBlock.Parse(publicKeyPem, What);
        try
        {
            switch (block.Label)
            {
                case "RSA PUBLIC KEY":
                    {
                        var key = RSA.Create();
                        key.ImportRSAPublicKey(block.Der, out _);
                        return new VerificationKey(SignatureAlgorithm.Rsa, key, null, null);
                    }

                case "PUBLIC KEY":
                    return FromSubjectPublicKeyInfo(block, What);
                default:
                    throw new FormatException(
                        $"the PEM block is a '{block.Label}', not a public key (expected 'PUBLIC KEY' or 'RSA PUBLIC KEY')");
            }
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the public key cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="data"/> under this key.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        switch (Algorithm)
        {
            case SignatureAlgorithm.Rsa:
                return rsa!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            case SignatureAlgorithm.EcdsaP256 when p256 is not null:
                if (signature.Length == P1363SignatureLength && p256.VerifyP1363(data, signature))
                {
                    return true;
                }

                return signature.Length > 0 && signature[0] == 0x30 && p256.VerifyDer(data, signature);
            case SignatureAlgorithm.EcdsaP256:
                if (signature.Length == P1363SignatureLength
                    && ecdsa!.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                {
                    return true;
                }

                return signature.Length > 0 && signature[0] == 0x30
                    && ecdsa!.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            case SignatureAlgorithm.Ed25519:
                return Ed25519.Verify(ed25519, data, signature);
            default:
                return false;
        }
    }

    /// <summary>The key as a canonical SubjectPublicKeyInfo PEM ("PUBLIC KEY"), whatever form it was read from.</summary>
    /// <remarks>
    /// A P-256 key read in the canonical form is written back from what was read, without exporting it from OpenSSL
    /// (every device auth request canonicalizes its key; the export cost more than the PEM encoding).
    /// </remarks>
    public string ExportSubjectPublicKeyInfoPem()
    {
        if (canonicalSpki is not null)
        {
            return PemEncoding.WriteString("PUBLIC KEY", canonicalSpki);
        }

        if (rsa is not null)
        {
            return rsa.ExportSubjectPublicKeyInfoPem();
        }

        if (ecdsa is not null)
        {
            return ecdsa.ExportSubjectPublicKeyInfoPem();
        }

        // SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING { 32-byte key } } (RFC 8410).
        byte[] prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        return new string(PemEncoding.Write("PUBLIC KEY", [.. prefix, .. ed25519!]));
    }

    public void Dispose()
    {
        rsa?.Dispose();
        ecdsa?.Dispose();
        p256?.Dispose();
    }

    /// <summary>
    /// <paramref name="key"/> with the SubjectPublicKeyInfo imported, and the bytes it read; disposed when the import
    /// throws, so a refused key leaves no native key behind for the finalizer.
    /// </summary>
    private static (T Key, int Read) Import<T>(T key, byte[] der)
        where T : AsymmetricAlgorithm
    {
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out var read);
            return (key, read);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static VerificationKey FromSubjectPublicKeyInfo(PemBlock block, string what)
    {
        var (algorithm, parameter) = block.ReadAlgorithm(pkcs8: false, what);
        switch (algorithm)
        {
            case KeyOids.Rsa:
                {
                    var (key, _) = Import(RSA.Create(), block.Der);
                    return new VerificationKey(SignatureAlgorithm.Rsa, key, null, null);
                }

            case KeyOids.EcPublicKey:
                {
                    if (parameter != KeyOids.P256)
                    {
                        throw new FormatException(
                            $"ECDSA keys must use the curve P-256 (prime256v1); this key uses {parameter ?? "explicit curve parameters"}");
                    }

                    var isCanonical = block.Der.Length == P256SpkiPrefix.Length + 64 && block.Der.AsSpan().StartsWith(P256SpkiPrefix);
                    if (isCanonical
                        && OpenSslP256Key.TryImport(block.Der.AsSpan(P256SpkiPrefix.Length - 1)) is { } native)
                    {
                        return new VerificationKey(native, block.Der);
                    }

                    // Any other form, no libcrypto, or a point libcrypto refused: .NET decides, with its own message.
                    var (key, read) = Import(ECDsa.Create(), block.Der);
                    var canonical = isCanonical && read == block.Der.Length ? block.Der : null;
                    return new VerificationKey(SignatureAlgorithm.EcdsaP256, null, key, null, canonical);
                }

            case KeyOids.Ed25519:
                {
                    var raw = block.ReadSubjectPublicKey(what);
                    if (!Ed25519.IsValidPublicKey(raw))
                    {
                        throw new FormatException("the Ed25519 public key is not a valid curve point (expected 32 bytes)");
                    }

                    return new VerificationKey(SignatureAlgorithm.Ed25519, null, null, raw);
                }

            default:
                throw new FormatException(
                    $"unsupported public key algorithm {algorithm}; accepted are RSA, ECDSA P-256 and Ed25519");
        }
    }
}
