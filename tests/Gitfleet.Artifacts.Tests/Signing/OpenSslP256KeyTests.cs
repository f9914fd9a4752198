using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Artifacts.Tests.Signing;

/// <summary>
/// The P-256 verifier over libcrypto against .NET's <see cref="ECDsa"/>: the same keys refused, the same signatures
/// accepted and refused, in both encodings.
/// </summary>
public sealed class OpenSslP256KeyTests
{
    private const int Keys = 150;

    /// <summary>The order n of P-256's group.</summary>
    private static readonly BigInteger Order = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    [Fact]
    public void OpenSSL_3_is_there_so_the_native_path_is_what_these_tests_exercise() =>
        OpenSslP256Key.IsAvailable.ShouldBeTrue("libcrypto.so.3 should load on the Linux machines Gitfleet runs and is tested on");

    [Fact]
    public void A_canonical_P256_key_is_held_by_OpenSSL_and_any_other_form_by_dotnet()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var canonical = VerificationKey.FromPem(ecdsa.ExportSubjectPublicKeyInfoPem());
        canonical.IsHeldByOpenSsl.ShouldBeTrue();

        using var rsa = RSA.Create(2048);
        using var other = VerificationKey.FromPem(rsa.ExportSubjectPublicKeyInfoPem());
        other.IsHeldByOpenSsl.ShouldBeFalse();
    }

    [Fact]
    public void The_native_verifier_agrees_with_dotnet_on_random_keys_messages_and_good_and_bad_signatures()
    {
        var random = new Random(20261207);
        var accepted = 0;
        var refused = 0;
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < Keys; i++)
        {
            using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var key = VerificationKey.FromPem(signer.ExportSubjectPublicKeyInfoPem());
            key.IsHeldByOpenSsl.ShouldBeTrue();
            using var native = OpenSslP256Key.TryImport(Point(signer)).ShouldNotBeNull();
            foreach (var (name, data, signature) in Cases(signer, other, random))
            {
                var der = signer.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                var p1363 = signer.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                native.VerifyDer(data, signature).ShouldBe(der, $"{name} as DER");
                native.VerifyP1363(data, signature).ShouldBe(p1363, $"{name} as r||s");

                // VerificationKey tries r||s for 64 bytes, then DER for anything that starts as a SEQUENCE.
                var expected = (signature.Length == 64 && p1363) || (signature.Length > 0 && signature[0] == 0x30 && der);
                key.Verify(data, signature).ShouldBe(expected, name);
                if (expected)
                {
                    accepted++;
                }
                else
                {
                    refused++;
                }
            }
        }

        // Both verdicts occur (good: DER, r||s and high-S in both encodings; the rest bad).
        accepted.ShouldBe(Keys * 4);
        refused.ShouldBeGreaterThan(Keys * 20);
    }

    [Fact]
    public void A_point_off_the_curve_is_refused_when_the_key_is_read()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = Point(ecdsa);
        point[^1] ^= 1; // Y changed: for the same X, only Y and p - Y are on the curve, of different parity
        OpenSslP256Key.TryImport(point).ShouldBeNull();
        Should.Throw<FormatException>(() => VerificationKey.FromPem(Pem(point)));
    }

    [Fact]
    public void The_point_at_infinity_and_coordinates_outside_the_field_are_refused()
    {
        // (0, 0) in the uncompressed form is not on the curve (b is not 0); infinity itself is the single byte 00.
        var zero = new byte[OpenSslP256Key.PointLength];
        zero[0] = 0x04;
        OpenSslP256Key.TryImport(zero).ShouldBeNull();
        Should.Throw<FormatException>(() => VerificationKey.FromPem(Pem(zero)));
        byte[] infinity = [0x30, 0x19, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x02, 0x00, 0x00];
        Should.Throw<FormatException>(() => VerificationKey.FromPem(PemEncoding.WriteString("PUBLIC KEY", infinity)));
        OpenSslP256Key.TryImport([0x00]).ShouldBeNull();

        // X = Y = 2^256 - 1, above the field's prime p.
        var large = Enumerable.Repeat((byte)0xff, OpenSslP256Key.PointLength).ToArray();
        large[0] = 0x04;
        OpenSslP256Key.TryImport(large).ShouldBeNull();
        Should.Throw<FormatException>(() => VerificationKey.FromPem(Pem(large)));
    }

    [Fact]
    public void A_truncated_or_compressed_point_is_not_taken_by_the_native_path()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = Point(ecdsa);
        OpenSslP256Key.TryImport(point.AsSpan(0, point.Length - 1)).ShouldBeNull();
        OpenSslP256Key.TryImport(point.AsSpan(0, 33)).ShouldBeNull();

        var der = ecdsa.ExportSubjectPublicKeyInfo();
        Should.Throw<FormatException>(() => VerificationKey.FromPem(PemEncoding.WriteString("PUBLIC KEY", der.AsSpan(0, der.Length - 1))));
    }

    [Fact]
    public void One_key_verifies_on_many_threads_at_once()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var native = OpenSslP256Key.TryImport(Point(ecdsa)).ShouldNotBeNull();
        var data = "auth request"u8.ToArray();
        var signature = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var bad = (byte[])signature.Clone();
        bad[^1] ^= 1;
        var results = new bool[400];
        Parallel.For(0, results.Length, i => results[i] = native.VerifyDer(data, i % 2 == 0 ? signature : bad));
        for (var i = 0; i < results.Length; i++)
        {
            results[i].ShouldBe(i % 2 == 0);
        }
    }

    private static IEnumerable<(string Name, byte[] Data, byte[] Signature)> Cases(ECDsa signer, ECDsa other, Random random)
    {
        var data = new byte[random.Next(0, 600)];
        random.NextBytes(data);
        var der = signer.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var p1363 = signer.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var r = new BigInteger(p1363.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var otherData = (byte[])data.Clone();
        if (otherData.Length == 0)
        {
            otherData = [0];
        }
        else
        {
            otherData[random.Next(otherData.Length)] ^= (byte)(1 << random.Next(8));
        }

        yield return ("DER", data, der);
        yield return ("r||s", data, p1363);
        yield return ("high-S DER", data, Der(r, Order - s));
        yield return ("high-S r||s", data, Raw(r, Order - s));
        yield return ("flipped bit in DER", data, FlipBit(der, random));
        yield return ("flipped bit in r||s", data, FlipBit(p1363, random));
        yield return ("wrong key, DER", data, other.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        yield return ("wrong key, r||s", data, other.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        yield return ("wrong message, DER", otherData, der);
        yield return ("wrong message, r||s", otherData, p1363);
        yield return ("truncated DER", data, der[..^1]);
        yield return ("DER without its first byte", data, der[1..]);
        yield return ("truncated r||s", data, p1363[..^1]);
        yield return ("empty", data, []);
        yield return ("DER with a trailing byte", data, [.. der, 0]);
        yield return ("r||s with a trailing byte", data, [.. p1363, 0]);
        yield return ("r = 0", data, Der(0, s));
        yield return ("s = 0", data, Der(r, 0));
        yield return ("r = 0, r||s", data, Raw(0, s));
        yield return ("s = 0, r||s", data, Raw(r, 0));
        yield return ("r = n", data, Der(Order, s));
        yield return ("s = n", data, Der(r, Order));
        yield return ("r + n", data, Der(r + Order, s));
        yield return ("s + n", data, Der(r, s + Order));
        yield return ("r = n, r||s", data, Raw(Order, s));
        yield return ("s = n + s, r||s", data, Raw(r, (s + Order) % BigInteger.Pow(2, 256)));
        yield return ("negative r", data, Der(-r, s));
        yield return ("negative s", data, Der(r, -s));
        yield return ("r with a redundant leading zero (BER, not DER)", data, NonMinimal(r, s));
        yield return ("long-form length (BER, not DER)", data, LongFormLength(der));
        yield return ("garbage after a SEQUENCE tag", data, [0x30, .. RandomBytes(random, random.Next(1, 80))]);
        yield return ("64 bytes of garbage", data, RandomBytes(random, 64));
        yield return ("64-byte DER-like garbage", data, [0x30, 0x3e, .. RandomBytes(random, 62)]);
    }

    private static byte[] Point(ECDsa ecdsa)
    {
        var q = ecdsa.ExportParameters(false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    /// <summary>The canonical SubjectPublicKeyInfo PEM of a 65-byte uncompressed point.</summary>
    private static string Pem(byte[] point)
    {
        byte[] prefix = [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00];
        return PemEncoding.WriteString("PUBLIC KEY", [.. prefix, .. point]);
    }

    private static byte[] Der(BigInteger r, BigInteger s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }

        return writer.Encode();
    }

    private static byte[] Raw(BigInteger r, BigInteger s) => [.. Fixed(r), .. Fixed(s)];

    private static byte[] Fixed(BigInteger value)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        return bytes.Length > 32 ? bytes[^32..] : [.. new byte[32 - bytes.Length], .. bytes];
    }

    private static byte[] NonMinimal(BigInteger r, BigInteger s)
    {
        byte[] rBytes = [0x00, 0x00, .. r.ToByteArray(isUnsigned: true, isBigEndian: true)];
        var sBytes = s.ToByteArray(isUnsigned: false, isBigEndian: true);
        byte[] body = [0x02, (byte)rBytes.Length, .. rBytes, 0x02, (byte)sBytes.Length, .. sBytes];
        return [0x30, (byte)body.Length, .. body];
    }

    private static byte[] LongFormLength(byte[] der) => [0x30, 0x81, der[1], .. der[2..]];

    private static byte[] FlipBit(byte[] signature, Random random)
    {
        var copy = (byte[])signature.Clone();
        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
