using System.Security.Cryptography;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Security;
using Gitfleet.Storage.Cluster;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// What every replica must share to be one server: the token signing key (a token one replica issued is valid on
/// all) and, unless the operator configured a certificate, the generated TLS certificate (a device that pinned it
/// reaches any replica). On a shared store they live in the store's <c>cluster_secrets</c>; on SQLite, in the data dir.
/// </summary>
internal static class SharedSecrets
{
    private const string TokenKeyName = "token-signing-key";
    private const string CertificateName = "tls-self-signed";
    private const string KeyMarker = "-----BEGIN PRIVATE KEY-----";

    public static async Task<byte[]> TokenKeyAsync(IClusterStore? cluster, DataDirectory data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (cluster is null)
        {
            return TokenService.LoadOrCreateKey(data.TokenKeyPath);
        }

        // A data dir from a single-server start keeps its key, so tokens it issued stay valid after moving to PostgreSQL.
        var stored = await cluster.GetOrAddSecretAsync(TokenKeyName, () => File.Exists(data.TokenKeyPath)
            ? File.ReadAllText(data.TokenKeyPath).Trim()
            : Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)), cancellationToken).ConfigureAwait(false);
        return Convert.FromBase64String(stored);
    }

    /// <summary>Puts the cluster's self-signed certificate and key into this replica's data dir (generating them once for the cluster).</summary>
    public static async Task ShareCertificateAsync(IClusterStore cluster, ServerOptions options, DataDirectory data, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        if (options.CertificatePath is not null)
        {
            return;
        }

        var pem = await cluster.GetOrAddSecretAsync(CertificateName, () =>
        {
            if (!File.Exists(data.CertificatePath) || !File.Exists(data.CertificateKeyPath))
            {
                ServerCertificate.Generate(data, time);
            }

            return File.ReadAllText(data.CertificatePath).TrimEnd() + "\n" + File.ReadAllText(data.CertificateKeyPath).TrimEnd() + "\n";
        }, cancellationToken).ConfigureAwait(false);
        var split = pem.IndexOf(KeyMarker, StringComparison.Ordinal);
        if (split < 0)
        {
            throw new InvalidOperationException($"the store's shared secret '{CertificateName}' is not a certificate and key in PEM");
        }

        var certificate = pem[..split];
        if (!File.Exists(data.CertificatePath) || File.ReadAllText(data.CertificatePath) != certificate)
        {
            DataDirectory.WriteSecret(data.CertificateKeyPath, pem[split..]);
            await File.WriteAllTextAsync(data.CertificatePath, certificate, cancellationToken).ConfigureAwait(false);
        }
    }
}
