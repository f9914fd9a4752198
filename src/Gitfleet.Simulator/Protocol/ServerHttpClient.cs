using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gitfleet.Simulator.Protocol;

/// <summary>
/// The one HTTP connection pool all simulated devices share: HTTP/1.1 keep-alive (as the Mender client speaks it),
/// a bounded number of connections, and trust in exactly the server's certificate (or none, with insecure).
/// </summary>
public static class ServerHttpClient
{
    public static HttpClient Create(Uri server, int maxConnections, string? caCertificatePath, bool insecure, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(server);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        if (insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (caCertificatePath is not null)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(caCertificatePath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, trusted);
        }

        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = server,
            Timeout = requestTimeout,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>The presented certificate is one of the given ones (a self-signed server) or chains up to one (a CA), and names the host.</summary>
    private static bool Trusted(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2Collection trusted)
    {
        if (errors == SslPolicyErrors.None || presented is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var leaf = new X509Certificate2(presented);
        if (trusted.Any(t => t.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)))
        {
            return true;
        }

        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        return chain.Build(leaf);
    }
}
