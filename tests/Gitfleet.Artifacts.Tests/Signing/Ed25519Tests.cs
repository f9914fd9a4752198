using System.Security.Cryptography;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Artifacts.Tests.Signing;

public sealed class Ed25519Tests
{
    /// <summary>RFC 8032 section 7.1: public key, message, signature.</summary>
    public static TheoryData<string, string, string> Rfc8032Vectors => new()
    {
        {
            // TEST 1
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            // TEST 2
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            // TEST 3
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
        {
            // TEST SHA(abc): the message is SHA-512("abc")
            "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Rfc8032_vectors_verify(string publicKey, string message, string signature)
    {
        Ed25519.Verify(Convert.FromHexString(publicKey), Convert.FromHexString(message), Convert.FromHexString(signature))
            .ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Rfc8032_vectors_fail_with_a_changed_message(string publicKey, string message, string signature)
    {
        var changed = Convert.FromHexString(message).Append((byte)0).ToArray();
        Ed25519.Verify(Convert.FromHexString(publicKey), changed, Convert.FromHexString(signature)).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Rfc8032_vectors_fail_with_any_flipped_signature_bit_in_R_or_S(string publicKey, string message, string signature)
    {
        var key = Convert.FromHexString(publicKey);
        var data = Convert.FromHexString(message);
        foreach (var index in new[] { 0, 17, 31, 32, 45, 63 })
        {
            var tampered = Convert.FromHexString(signature);
            tampered[index] ^= 0x01;
            Ed25519.Verify(key, data, tampered).ShouldBeFalse($"byte {index} flipped");
        }
    }

    [Fact]
    public void A_signature_with_S_not_below_the_group_order_is_rejected()
    {
        // TEST 1 with S replaced by S + L: the same point equation holds, but RFC 8032 requires S < L.
        var publicKey = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        var signature = Convert.FromHexString(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        var s = new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true);
        var l = (System.Numerics.BigInteger.One << 252) + System.Numerics.BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
        var malleable = (s + l).ToByteArray(isUnsigned: true);
        malleable.Length.ShouldBeLessThanOrEqualTo(32);
        Array.Clear(signature, 32, 32);
        malleable.CopyTo(signature, 32);

        Ed25519.Verify(publicKey, [], signature).ShouldBeFalse();
    }

    [Fact]
    public void Malformed_keys_and_signatures_are_rejected_not_thrown()
    {
        var publicKey = Convert.FromHexString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        var signature = Convert.FromHexString(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");

        Ed25519.Verify(publicKey[..31], [0x72], signature).ShouldBeFalse();
        Ed25519.Verify(publicKey, [0x72], signature[..63]).ShouldBeFalse();

        // y = p (non-canonical encoding of 0) is not a valid public key.
        var nonCanonical = Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        Ed25519.IsValidPublicKey(nonCanonical).ShouldBeFalse();
        Ed25519.Verify(nonCanonical, [0x72], signature).ShouldBeFalse();

        // y = 2 has no x on the curve.
        var offCurve = new byte[32];
        offCurve[0] = 2;
        Ed25519.IsValidPublicKey(offCurve).ShouldBeFalse();
        Ed25519.IsValidPublicKey(publicKey).ShouldBeTrue();
    }

    [Fact]
    public void Signatures_made_by_openssl_pkeyutl_verify()
    {
        using var dir = new TempDirectory("gitfleet-ed25519");
        Tools.Openssl(dir.Path, "genpkey", "-algorithm", "ed25519", "-out", "key.pem");
        Tools.Openssl(dir.Path, "pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "pub.der");
        for (var i = 0; i < 5; i++)
        {
            var message = RandomNumberGenerator.GetBytes(1 + (i * 97));
            File.WriteAllBytes(dir.Combine("message.bin"), message);
            Tools.Openssl(dir.Path, "pkeyutl", "-sign", "-rawin", "-inkey", "key.pem", "-in", "message.bin", "-out", "signature.bin");
            var signature = File.ReadAllBytes(dir.Combine("signature.bin"));
            var publicKey = File.ReadAllBytes(dir.Combine("pub.der"))[^32..];

            Ed25519.Verify(publicKey, message, signature).ShouldBeTrue();
            message[0] ^= 0x80;
            Ed25519.Verify(publicKey, message, signature).ShouldBeFalse();
        }
    }
}
