using System.Numerics;
using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// Ed25519 signature verification as specified by RFC 8032 section 5.1.7 (pure Ed25519: no context, no pre-hash).
/// .NET's base class library has no Ed25519, so this is a small arithmetic implementation on
/// <see cref="BigInteger"/>. It only verifies: it handles public data, so it need not run in constant time.
/// A verification costs a few milliseconds; it is meant for artifact signatures and device authentication,
/// not for a hot path.
/// </summary>
public static class Ed25519
{
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    /// <summary>The field prime p = 2^255 - 19.</summary>
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;

    /// <summary>The order of the base point, L = 2^252 + 27742317777372353535851937790883648493.</summary>
    private static readonly BigInteger L = (BigInteger.One << 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The curve constant d = -121665 / 121666 mod p.</summary>
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));

    private static readonly BigInteger TwoD = Mod(2 * D);

    /// <summary>A square root of -1 mod p: 2^((p-1)/4).</summary>
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);

    /// <summary>The base point B: y = 4/5, x positive (even).</summary>
    private static readonly Point BasePoint = DecodeBasePoint();

    /// <summary>
    /// Verifies <paramref name="signature"/> (R || S, 64 bytes) over <paramref name="message"/> with the 32-byte
    /// public key A. Returns false for a wrong signature and for malformed keys or signatures (wrong length,
    /// a point that does not decode, S not below L). Uses the cofactorless equation [S]B = R + [k]A, checked by
    /// encoding [S]B - [k]A and comparing it with R, as OpenSSL and Go's crypto/ed25519 do.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        if (!TryDecode(publicKey, out var a))
        {
            return false;
        }

        var r = signature[..32];
        var s = new BigInteger(signature[32..], isUnsigned: true, isBigEndian: false);
        if (s >= L)
        {
            return false;
        }

        var k = ChallengeScalar(r, publicKey, message);
        var check = MultiplyAndAdd(s, BasePoint, k, Negate(a));
        Span<byte> encoded = stackalloc byte[32];
        Encode(check, encoded);
        return encoded.SequenceEqual(r);
    }

    /// <summary>True when <paramref name="publicKey"/> is 32 bytes that decode to a point on the curve.</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == PublicKeySize && TryDecode(publicKey, out _);

    /// <summary>k = SHA-512(R || A || M) interpreted little-endian, reduced mod L.</summary>
    private static BigInteger ChallengeScalar(ReadOnlySpan<byte> r, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        hash.AppendData(r);
        hash.AppendData(publicKey);
        hash.AppendData(message);
        Span<byte> digest = stackalloc byte[64];
        hash.GetHashAndReset(digest);
        return new BigInteger(digest, isUnsigned: true, isBigEndian: false) % L;
    }

    /// <summary>Point decoding, RFC 8032 section 5.1.3. Rejects non-canonical y (y >= p) and x = 0 with the sign bit set.</summary>
    private static bool TryDecode(ReadOnlySpan<byte> encoded, out Point point)
    {
        point = default;
        Span<byte> yBytes = stackalloc byte[32];
        encoded.CopyTo(yBytes);
        var sign = (yBytes[31] & 0x80) != 0;
        yBytes[31] &= 0x7f;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        if (y >= P)
        {
            return false;
        }

        var y2 = y * y % P;
        var u = Mod(y2 - 1);
        var v = Mod(D * y2 + 1);
        var v3 = v * v % P * v % P;
        var v7 = v3 * v3 % P * v % P;
        var x = u * v3 % P * BigInteger.ModPow(u * v7 % P, (P - 5) / 8, P) % P;
        var vx2 = v * x % P * x % P;
        if (vx2 != u)
        {
            if (vx2 != Mod(-u))
            {
                return false;
            }

            x = x * SqrtMinusOne % P;
        }

        if (x.IsZero && sign)
        {
            return false;
        }

        if (x.IsEven == sign)
        {
            x = P - x;
        }

        point = new Point(x, y, BigInteger.One, x * y % P);
        return true;
    }

    private static void Encode(Point point, Span<byte> destination)
    {
        var zInverse = Inverse(point.Z);
        var x = point.X * zInverse % P;
        var y = point.Y * zInverse % P;
        destination.Clear();
        y.TryWriteBytes(destination, out _, isUnsigned: true, isBigEndian: false);
        if (!x.IsEven)
        {
            destination[31] |= 0x80;
        }
    }

    /// <summary>Point addition in extended coordinates, RFC 8032 section 5.1.4 (also used for doubling).</summary>
    private static Point Add(Point p, Point q)
    {
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = (p.Y + p.X) * (q.Y + q.X) % P;
        var c = p.T * TwoD % P * q.T % P;
        var d = 2 * p.Z * q.Z % P;
        var e = Mod(b - a);
        var f = Mod(d - c);
        var g = (d + c) % P;
        var h = (b + a) % P;
        return new Point(e * f % P, g * h % P, f * g % P, e * h % P);
    }

    /// <summary>Doubling in extended coordinates, RFC 8032 section 5.1.4.</summary>
    private static Point Double(Point p)
    {
        var a = p.X * p.X % P;
        var b = p.Y * p.Y % P;
        var c = 2 * p.Z * p.Z % P;
        var h = (a + b) % P;
        var xy = p.X + p.Y;
        var e = Mod(h - (xy * xy));
        var g = Mod(a - b);
        var f = (c + g) % P;
        return new Point(e * f % P, g * h % P, f * g % P, e * h % P);
    }

    /// <summary>[s]p + [k]q in one pass over the bits of both scalars (Shamir's trick).</summary>
    private static Point MultiplyAndAdd(BigInteger s, Point p, BigInteger k, Point q)
    {
        var sBits = s.ToByteArray(isUnsigned: true, isBigEndian: false);
        var kBits = k.ToByteArray(isUnsigned: true, isBigEndian: false);
        var both = Add(p, q);
        var result = new Point(BigInteger.Zero, BigInteger.One, BigInteger.One, BigInteger.Zero);
        for (var bit = (int)Math.Max(s.GetBitLength(), k.GetBitLength()) - 1; bit >= 0; bit--)
        {
            result = Double(result);
            var (sSet, kSet) = (IsSet(sBits, bit), IsSet(kBits, bit));
            if (sSet || kSet)
            {
                result = Add(result, sSet && kSet ? both : sSet ? p : q);
            }
        }

        return result;
    }

    private static bool IsSet(byte[] littleEndian, int bit) =>
        bit / 8 < littleEndian.Length && (littleEndian[bit / 8] & (1 << (bit % 8))) != 0;

    private static Point Negate(Point point) => new(Mod(-point.X), point.Y, point.Z, Mod(-point.T));

    private static Point DecodeBasePoint()
    {
        Span<byte> encoded = stackalloc byte[32];
        encoded.Fill(0x66);
        encoded[0] = 0x58;
        if (!TryDecode(encoded, out var point))
        {
            throw new InvalidOperationException("the Ed25519 base point does not decode");
        }

        return point;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    private static BigInteger Mod(BigInteger value)
    {
        var result = value % P;
        return result.Sign < 0 ? result + P : result;
    }

    /// <summary>A point in extended homogeneous coordinates: x = X/Z, y = Y/Z, x*y = T/Z.</summary>
    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);
}
