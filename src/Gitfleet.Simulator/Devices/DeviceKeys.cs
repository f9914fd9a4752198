using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Simulator.Devices;

/// <summary>
/// Device keys for simulated devices: ECDSA P-256 (the server accepts it as Mender does; generating 100,000
/// RSA-3072 keys would take minutes). The private key is derived from the device's identity, so a device keeps its
/// key across simulator runs (the server still knows it) and nothing per device is stored: the key is rebuilt for
/// the rare auth request. These keys are public knowledge by construction: simulation only.
/// </summary>
public static class DeviceKeys
{
    private static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The key of the device with this id_data (its identity as a JSON string), ready to sign.</summary>
    public static ECDsa Create(string idData)
    {
        ArgumentNullException.ThrowIfNull(idData);
        var key = ECDsa.Create();
        try
        {
            key.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = PrivateScalar(idData) });
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The public key in SubjectPublicKeyInfo PEM, as the Mender client sends it.</summary>
    public static string PublicKeyPem(string idData)
    {
        using var key = Create(idData);
        return key.ExportSubjectPublicKeyInfoPem() + "\n";
    }

    /// <summary>SHA-256 of a fixed label and the identity, re-hashed until it is a valid P-256 scalar (1 .. n-1).</summary>
    internal static byte[] PrivateScalar(string idData)
    {
        var input = Encoding.UTF8.GetBytes("gitfleet simulated device key v1\n" + idData);
        for (var round = 0; ; round++)
        {
            var d = SHA256.HashData(input);
            var value = new BigInteger(d, isUnsigned: true, isBigEndian: true);
            if (!value.IsZero && value < Order)
            {
                return d;
            }

            input = [.. d, (byte)round];
        }
    }
}
