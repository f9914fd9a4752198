using System.Security.Cryptography.X509Certificates;

namespace Gitfleet.TestSupport;

/// <summary>HTTP clients for a test server with a self-signed certificate: trust exactly that certificate.</summary>
public static class PinnedCertificate
{
    /// <summary>A handler that accepts only the PEM certificate at <paramref name="certificatePath"/>.</summary>
    public static SocketsHttpHandler Handler(string certificatePath)
    {
        using var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        var thumbprint = trusted.GetCertHashString();
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == thumbprint;
        return handler;
    }
}
