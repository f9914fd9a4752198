using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// An ECDSA P-256 public key held by OpenSSL 3's libcrypto, verifying SHA-256 signatures: the device auth request's
/// key at reconnect-storm rates. .NET's <c>ECDsa.ImportSubjectPublicKeyInfo</c> builds a legacy EC_KEY, runs
/// OpenSSL's full key check (a scalar multiplication) and exports the key to the provider on its first verify, about
/// 220 µs per fresh key; a key built for the provider from its point (EVP_PKEY_fromdata) imports and verifies once in
/// about 85 µs. Same library, same verification: only the key's way in differs.
/// <para>Thread-safe: the key is read-only once built and every verification has a digest context of its own.</para>
/// </summary>
public sealed class OpenSslP256Key : IDisposable
{
    /// <summary>The uncompressed point's length: 0x04, then X and Y of 32 bytes each.</summary>
    public const int PointLength = 65;

    private const int CoordinateLength = 32;

    /// <summary>The longest DER ECDSA-Sig-Value of P-256: SEQUENCE { INTEGER (33 bytes), INTEGER (33 bytes) }.</summary>
    private const int MaxDerSignatureLength = 72;

    // The parameter names and the group name live as long as the process: allocated once, never freed.
    private static readonly nint GroupParameter = Marshal.StringToCoTaskMemUTF8("group");
    private static readonly nint PublicKeyParameter = Marshal.StringToCoTaskMemUTF8("pub");
    private static readonly nint P256 = Marshal.StringToCoTaskMemUTF8("prime256v1");

    private readonly LibCrypto.SafeEvpPKeyHandle key;

    private OpenSslP256Key(LibCrypto.SafeEvpPKeyHandle key) => this.key = key;

    /// <summary>Whether OpenSSL 3's libcrypto can be loaded here; without it, callers keep .NET's path.</summary>
    public static bool IsAvailable => LibCrypto.IsAvailable;

    /// <summary>
    /// The key whose uncompressed point (0x04 || X || Y) is <paramref name="point"/>, or null when libcrypto is not
    /// available or refuses the point.
    /// </summary>
    /// <remarks>
    /// OpenSSL decodes the point with EC_POINT_oct2point, which refuses a point that is not on the curve. P-256 has
    /// cofactor 1, so every point on the curve other than the point at infinity (which has no uncompressed encoding)
    /// is in the prime-order group: the on-curve check is the whole validation of a P-256 public key, the same
    /// verdict as .NET's full key check, at a fraction of its cost.
    /// </remarks>
    public static unsafe OpenSslP256Key? TryImport(ReadOnlySpan<byte> point)
    {
        if (point.Length != PointLength || point[0] != 0x04 || !IsAvailable)
        {
            return null;
        }

        using var context = LibCrypto.EVP_PKEY_CTX_new_from_name(0, "EC", 0);
        if (context.IsInvalid || LibCrypto.EVP_PKEY_fromdata_init(context) != 1)
        {
            LibCrypto.ERR_clear_error();
            return null;
        }

        fixed (byte* pointBytes = point)
        {
            var parameters = stackalloc LibCrypto.OsslParam[3];
            parameters[0] = new LibCrypto.OsslParam
            {
                Key = GroupParameter, DataType = LibCrypto.ParamUtf8String, Data = P256, DataSize = (nuint)"prime256v1".Length,
            };
            parameters[1] = new LibCrypto.OsslParam
            {
                Key = PublicKeyParameter, DataType = LibCrypto.ParamOctetString, Data = (nint)pointBytes, DataSize = PointLength,
            };
            parameters[2] = default; // the terminating empty parameter
            var imported = LibCrypto.EVP_PKEY_fromdata(context, out var key, LibCrypto.SelectPublicKey, parameters);
            if (imported != 1 || key.IsInvalid)
            {
                key.Dispose();
                LibCrypto.ERR_clear_error();
                return null;
            }

            return new OpenSslP256Key(key);
        }
    }

    /// <summary>True when <paramref name="signature"/>, a DER ECDSA-Sig-Value, signs SHA-256(<paramref name="data"/>).</summary>
    /// <remarks>
    /// OpenSSL parses the DER, refuses any encoding that does not re-encode to the same bytes (BER, trailing bytes),
    /// and r or s outside [1, n-1]: what .NET's <c>VerifyData</c> does with the same library.
    /// </remarks>
    public unsafe bool VerifyDer(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var context = LibCrypto.EVP_MD_CTX_new();
        if (context.IsInvalid || LibCrypto.EVP_DigestVerifyInit(context, 0, LibCrypto.EVP_sha256(), 0, key) != 1)
        {
            LibCrypto.ERR_clear_error();
            throw new CryptographicException("OpenSSL could not start an ECDSA verification");
        }

        fixed (byte* signatureBytes = signature)
        fixed (byte* dataBytes = data)
        {
            // 1: valid; 0: a wrong signature; negative: a malformed one. Only 1 is a valid signature.
            var verified = LibCrypto.EVP_DigestVerify(context, signatureBytes, (nuint)signature.Length, dataBytes, (nuint)data.Length);
            if (verified != 1)
            {
                LibCrypto.ERR_clear_error();
            }

            return verified == 1;
        }
    }

    /// <summary>
    /// True when <paramref name="signature"/>, r || s of 32 bytes each (IEEE P1363), signs SHA-256(<paramref name="data"/>):
    /// re-encoded as DER as .NET does (each half a minimal unsigned INTEGER), then verified as such.
    /// </summary>
    public bool VerifyP1363(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 2 * CoordinateLength)
        {
            return false;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(Minimal(signature[..CoordinateLength]));
            writer.WriteIntegerUnsigned(Minimal(signature[CoordinateLength..]));
        }

        Span<byte> der = stackalloc byte[MaxDerSignatureLength];
        return writer.TryEncode(der, out var written) && VerifyDer(data, der[..written]);
    }

    public void Dispose() => key.Dispose();

    /// <summary>A big-endian unsigned integer without its leading zero bytes (zero itself stays one byte), as DER wants it.</summary>
    private static ReadOnlySpan<byte> Minimal(ReadOnlySpan<byte> value)
    {
        var trimmed = value.TrimStart((byte)0);
        return trimmed.IsEmpty ? value[^1..] : trimmed;
    }
}
