namespace Gitfleet.Artifacts.Signing;

/// <summary>The public-key signature schemes Gitfleet verifies (the ones Mender clients and mender-artifact use).</summary>
public enum SignatureAlgorithm
{
    /// <summary>RSA, PKCS#1 v1.5 padding, SHA-256.</summary>
    Rsa,

    /// <summary>ECDSA on NIST P-256 (prime256v1) with SHA-256.</summary>
    EcdsaP256,

    /// <summary>Ed25519 (RFC 8032, pure).</summary>
    Ed25519,
}
