using System.Text;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Artifacts.Tests.Support;

namespace Gitfleet.Artifacts.Tests.Signing;

public sealed class ArtifactSigningKeyTests
{
    [Theory]
    [InlineData("rsa.pem", "rsa.pub.pem", SignatureAlgorithm.Rsa)]
    [InlineData("rsa.pkcs8.pem", "rsa.pub.pem", SignatureAlgorithm.Rsa)]
    [InlineData("ec.pem", "ec.pub.pem", SignatureAlgorithm.EcdsaP256)]
    [InlineData("ec.pkcs8.pem", "ec.pub.pem", SignatureAlgorithm.EcdsaP256)]
    public void Private_keys_in_each_PEM_form_sign_what_the_public_key_verifies(string privateKey, string publicKey, SignatureAlgorithm algorithm)
    {
        var keys = TestKeys.Instance;
        using var key = ArtifactSigningKey.FromPem(keys.Read(privateKey));
        var data = Encoding.ASCII.GetBytes("0123  version\n");

        var signature = key.Sign(data);

        key.Algorithm.ShouldBe(algorithm);
        if (algorithm == SignatureAlgorithm.EcdsaP256)
        {
            signature.Length.ShouldBe(64, "mender-artifact 3.9 accepts only the 64-byte r||s encoding");
        }

        SignatureVerifier.Verify(keys.Read(publicKey), data, signature).ShouldBeTrue();
        SignatureVerifier.Verify(key.ExportPublicKeyPem(), data, signature).ShouldBeTrue();
    }

    [Theory]
    [InlineData("ed25519.pem", "Ed25519 keys cannot sign artifacts")]
    [InlineData("p384.pem", "P-256")]
    [InlineData("rsa.pub.pem", "not a private key")]
    public void Keys_that_cannot_sign_artifacts_are_refused_with_the_reason(string file, string reason)
    {
        Should.Throw<FormatException>(() => ArtifactSigningKey.FromPem(TestKeys.Instance.Read(file))).Message.ShouldContain(reason);
    }
}
