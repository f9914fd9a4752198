namespace Gitfleet.Artifacts.Signing;

/// <summary>Object identifiers of the key algorithms found in SubjectPublicKeyInfo and PKCS#8 structures.</summary>
internal static class KeyOids
{
    public const string Rsa = "1.2.840.113549.1.1.1";
    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string P256 = "1.2.840.10045.3.1.7";
    public const string Ed25519 = "1.3.101.112";
}
