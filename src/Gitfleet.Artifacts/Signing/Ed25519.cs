using System.Runtime.InteropServices;
using Sodium = NSec.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// Ed25519 verification (RFC 8032, pure Ed25519) through libsodium, by way of NSec.Cryptography: maintained,
/// audited code that verifies in tens of microseconds, for device auth requests at reconnect-storm rates.
/// Malformed keys and signatures (wrong length, a point that does not decode or has small order, S not below L)
/// verify as false; they never throw.
/// </summary>
public static class Ed25519
{
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    private static readonly Sodium.SignatureAlgorithm Algorithm = Sodium.SignatureAlgorithm.Ed25519;

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize
            || !Sodium.PublicKey.TryImport(Algorithm, publicKey, Sodium.KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        return Algorithm.Verify(key, message, signature);
    }

    /// <summary>Whether 32 bytes are the canonical encoding of a curve point of large order (libsodium's check).</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeySize)
        {
            return false;
        }

        // NSec loads libsodium first; this is the same library.
        _ = Algorithm;
        return NativeMethods.crypto_core_ed25519_is_valid_point(publicKey.ToArray()) == 1;
    }

    private static class NativeMethods
    {
        [DllImport("libsodium", CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int crypto_core_ed25519_is_valid_point(byte[] point);
    }
}
