using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gitfleet.Server.Hosting;

/// <summary>Loads the configured certificate or generates a self-signed one (SANs localhost and 127.0.0.1) into the data dir.</summary>
internal static class ServerCertificate
{
    public static (X509Certificate2 Certificate, string CertificatePath) Load(ServerOptions options, DataDirectory data, TimeProvider time)
    {
        if (options.CertificatePath is { } certificatePath)
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificatePath, options.CertificateKeyPath);
            return (Exportable(certificate), certificatePath);
        }

        if (!File.Exists(data.CertificatePath) || !File.Exists(data.CertificateKeyPath))
        {
            Generate(data, time);
        }

        return (Exportable(X509Certificate2.CreateFromPemFile(data.CertificatePath, data.CertificateKeyPath)), data.CertificatePath);
    }

    /// <summary>Writes a new self-signed certificate and its key (0600) into the data dir.</summary>
    public static void Generate(DataDirectory data, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Gitfleet server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        DataDirectory.WriteSecret(data.CertificateKeyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(data.CertificatePath, certificate.ExportCertificatePem() + "\n");
    }

    /// <summary>Kestrel on Linux needs a certificate whose key is not ephemeral.</summary>
    private static X509Certificate2 Exportable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
