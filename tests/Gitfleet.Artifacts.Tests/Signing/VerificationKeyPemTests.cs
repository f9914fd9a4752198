using System.Security.Cryptography;
using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Artifacts.Tests.Signing;

/// <summary>The canonical PEM of a public key (what the server stores and compares for a device's auth set).</summary>
public sealed class VerificationKeyPemTests
{
    [Fact]
    public void A_canonical_P256_key_comes_back_as_OpenSSL_exports_it()
    {
        for (var i = 0; i < 20; i++)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var exported = ecdsa.ExportSubjectPublicKeyInfoPem();

            // Other line endings and wrapping are the same key: the canonical PEM is the same text.
            var reflowed = exported.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n";
            foreach (var pem in new[] { exported, reflowed })
            {
                using var key = VerificationKey.FromPem(pem);
                key.ExportSubjectPublicKeyInfoPem().ShouldBe(exported);
            }
        }
    }

    [Fact]
    public void A_P256_key_in_another_encoding_is_exported_canonically()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(false);

        // The same point, compressed (02/03 and X only): a valid SubjectPublicKeyInfo that is not the canonical one.
        byte[] prefix = [0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00];
        byte[] compressed = [.. prefix, (byte)(0x02 | (parameters.Q.Y![^1] & 1)), .. parameters.Q.X!];
        VerificationKey key;
        try
        {
            key = VerificationKey.FromPem(PemEncoding.WriteString("PUBLIC KEY", compressed));
        }
        catch (FormatException)
        {
            return; // This OpenSSL build refuses compressed points: nothing to canonicalize.
        }

        using (key)
        {
            key.ExportSubjectPublicKeyInfoPem().ShouldBe(ecdsa.ExportSubjectPublicKeyInfoPem());
        }
    }

    [Fact]
    public void A_canonical_key_still_verifies_only_its_own_signatures()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = VerificationKey.FromPem(ecdsa.ExportSubjectPublicKeyInfoPem());
        var data = "auth request"u8.ToArray();
        key.Verify(data, ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)).ShouldBeTrue();
        key.Verify(data, other.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)).ShouldBeFalse();
    }
}
