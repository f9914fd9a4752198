using Gitfleet.TestSupport;

namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>
/// Key pairs made once per test run with openssl, in the forms mender-artifact 3.9 reads (PKCS#1 RSA, SEC 1 EC)
/// and as PKCS#8 and Ed25519 for the verifier.
/// </summary>
internal sealed class TestKeys
{
    private static readonly Lazy<TestKeys> Shared = new(() => new TestKeys());

    private readonly TempDirectory directory = new("gitfleet-keys");

    private TestKeys()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Dispose();
        var dir = directory.Path;
        Tools.Openssl(dir, "genrsa", "-traditional", "-out", "rsa.pem", "2048");
        Tools.Openssl(dir, "rsa", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub.pem");
        Tools.Openssl(dir, "genrsa", "-traditional", "-out", "other-rsa.pem", "2048");
        Tools.Openssl(dir, "rsa", "-in", "other-rsa.pem", "-pubout", "-out", "other-rsa.pub.pem");
        Tools.Openssl(dir, "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "ec.pem");
        Tools.Openssl(dir, "ec", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem");
        Tools.Openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-out", "ec.pkcs8.pem");
        Tools.Openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-out", "rsa.pkcs8.pem");
        Tools.Openssl(dir, "ecparam", "-genkey", "-name", "secp384r1", "-noout", "-out", "p384.pem");
        Tools.Openssl(dir, "ec", "-in", "p384.pem", "-pubout", "-out", "p384.pub.pem");
        Tools.Openssl(dir, "genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem");
        Tools.Openssl(dir, "pkey", "-in", "ed25519.pem", "-pubout", "-out", "ed25519.pub.pem");
    }

    public static TestKeys Instance => Shared.Value;

    public string Directory => directory.Path;

    public string RsaPrivatePath => Path("rsa.pem");

    public string RsaPublicPath => Path("rsa.pub.pem");

    public string OtherRsaPrivatePath => Path("other-rsa.pem");

    public string OtherRsaPublicPath => Path("other-rsa.pub.pem");

    public string EcPrivatePath => Path("ec.pem");

    public string EcPublicPath => Path("ec.pub.pem");

    public string Path(string file) => directory.Combine(file);

    public string Read(string file) => File.ReadAllText(Path(file));
}
