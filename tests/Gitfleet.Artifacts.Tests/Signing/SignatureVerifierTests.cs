using System.Security.Cryptography;
using System.Text;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Artifacts.Tests.Signing;

public sealed class SignatureVerifierTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("{\"id_data\":\"{\\\"mac\\\":\\\"02:00:00:00:00:01\\\"}\",\"pubkey\":\"...\"}\n");

    [Theory]
    [InlineData("rsa.pem", "rsa.pub.pem", SignatureAlgorithm.Rsa)]
    [InlineData("ec.pem", "ec.pub.pem", SignatureAlgorithm.EcdsaP256)]
    [InlineData("ed25519.pem", "ed25519.pub.pem", SignatureAlgorithm.Ed25519)]
    public void Openssl_signatures_verify_with_the_PEM_public_key(string privateKey, string publicKey, SignatureAlgorithm algorithm)
    {
        var keys = TestKeys.Instance;
        var signature = OpensslSign(keys.Path(privateKey), Message, rawInput: algorithm == SignatureAlgorithm.Ed25519);

        using var key = VerificationKey.FromPem(keys.Read(publicKey));
        key.Algorithm.ShouldBe(algorithm);
        SignatureVerifier.Verify(keys.Read(publicKey), Message, signature).ShouldBeTrue();
        SignatureVerifier.Verify(keys.Read(publicKey), Message.Append((byte)'x').ToArray(), signature).ShouldBeFalse();
    }

    [Fact]
    public void Ecdsa_accepts_both_the_DER_and_the_raw_r_s_encoding()
    {
        var keys = TestKeys.Instance;
        var der = OpensslSign(keys.EcPrivatePath, Message, rawInput: false);
        der[0].ShouldBe((byte)0x30);
        var raw = DerToP1363(der);
        raw.Length.ShouldBe(64);

        var pem = keys.Read("ec.pub.pem");
        SignatureVerifier.Verify(pem, Message, der).ShouldBeTrue();
        SignatureVerifier.Verify(pem, Message, raw).ShouldBeTrue();
        raw[10] ^= 1;
        SignatureVerifier.Verify(pem, Message, raw).ShouldBeFalse();
        SignatureVerifier.Verify(pem, Message, der[..^1]).ShouldBeFalse();
    }

    [Fact]
    public void Rsa_accepts_the_PKCS1_public_key_form_too()
    {
        var keys = TestKeys.Instance;
        var signature = OpensslSign(keys.RsaPrivatePath, Message, rawInput: false);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(keys.Read("rsa.pub.pem"));
        var pkcs1 = rsa.ExportRSAPublicKeyPem();
        pkcs1.ShouldStartWith("-----BEGIN RSA PUBLIC KEY-----");

        SignatureVerifier.Verify(pkcs1, Message, signature).ShouldBeTrue();
    }

    [Fact]
    public void A_signature_by_another_key_does_not_verify()
    {
        var keys = TestKeys.Instance;
        var signature = OpensslSign(keys.OtherRsaPrivatePath, Message, rawInput: false);

        SignatureVerifier.Verify(keys.Read("rsa.pub.pem"), Message, signature).ShouldBeFalse();
        SignatureVerifier.Verify(keys.Read("ec.pub.pem"), Message, signature).ShouldBeFalse();
        SignatureVerifier.Verify(keys.Read("ed25519.pub.pem"), Message, signature).ShouldBeFalse();
    }

    [Fact]
    public void Unusable_keys_throw_a_FormatException_that_says_why()
    {
        var keys = TestKeys.Instance;

        Should.Throw<FormatException>(() => SignatureVerifier.Verify("not a key", Message, [1]))
            .Message.ShouldContain("not PEM");
        Should.Throw<FormatException>(() => SignatureVerifier.Verify(keys.Read("p384.pub.pem"), Message, [1]))
            .Message.ShouldContain("P-256");
        Should.Throw<FormatException>(() => SignatureVerifier.Verify(keys.Read("rsa.pem"), Message, [1]))
            .Message.ShouldContain("not a public key");
        var garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        Should.Throw<FormatException>(() => SignatureVerifier.Verify(garbage, Message, [1]))
            .Message.ShouldContain("SubjectPublicKeyInfo");
    }

    private static byte[] OpensslSign(string privateKeyPath, byte[] message, bool rawInput)
    {
        using var dir = new TempDirectory("gitfleet-sign");
        File.WriteAllBytes(dir.Combine("message.bin"), message);
        if (rawInput)
        {
            Tools.Openssl(dir.Path, "pkeyutl", "-sign", "-rawin", "-inkey", privateKeyPath, "-in", "message.bin", "-out", "sig.bin");
        }
        else
        {
            Tools.Openssl(dir.Path, "dgst", "-sha256", "-sign", privateKeyPath, "-out", "sig.bin", "message.bin");
        }

        return File.ReadAllBytes(dir.Combine("sig.bin"));
    }

    private static byte[] DerToP1363(byte[] der)
    {
        var reader = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var r = reader.ReadIntegerBytes().ToArray().SkipWhile(b => b == 0).ToArray();
        var s = reader.ReadIntegerBytes().ToArray().SkipWhile(b => b == 0).ToArray();
        var raw = new byte[64];
        r.CopyTo(raw, 32 - r.Length);
        s.CopyTo(raw, 64 - s.Length);
        return raw;
    }
}
