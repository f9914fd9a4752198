using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Signing;

/// <summary>The first PEM block of a text: its label and decoded DER bytes, plus the algorithm OIDs it names.</summary>
internal sealed record PemBlock(string Label, byte[] Der)
{
    public static PemBlock Parse(string pem, string what)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new FormatException($"the {what} is not PEM text (expected a '-----BEGIN ...-----' block)");
        }

        var label = pem[fields.Label].ToString();
        var der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out var written))
        {
            throw new FormatException($"the {what} PEM block '{label}' has invalid base64 content");
        }

        return new PemBlock(label, der[..written]);
    }

    /// <summary>
    /// Reads the AlgorithmIdentifier of a SubjectPublicKeyInfo (or, with <paramref name="pkcs8"/>, of a PKCS#8
    /// PrivateKeyInfo): the algorithm OID and the parameter OID when the parameters are an OID (the EC curve).
    /// </summary>
    public (string Algorithm, string? Parameter) ReadAlgorithm(bool pkcs8, string what)
    {
        try
        {
            var outer = new AsnReader(Der, AsnEncodingRules.DER).ReadSequence();
            if (pkcs8)
            {
                outer.ReadInteger();
            }

            var algorithm = outer.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            string? parameter = null;
            if (algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                parameter = algorithm.ReadObjectIdentifier();
            }

            return (oid, parameter);
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"the {what} is not a valid {(pkcs8 ? "PKCS#8" : "SubjectPublicKeyInfo")} structure: {e.Message}", e);
        }
    }

    /// <summary>The subjectPublicKey BIT STRING of a SubjectPublicKeyInfo.</summary>
    public byte[] ReadSubjectPublicKey(string what)
    {
        try
        {
            var spki = new AsnReader(Der, AsnEncodingRules.DER).ReadSequence();
            spki.ReadSequence();
            return spki.ReadBitString(out _);
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"the {what} is not a valid SubjectPublicKeyInfo structure: {e.Message}", e);
        }
    }
}
