namespace Gitfleet.Server.Hosting;

/// <summary>Everything the server needs to start. Built from flags, GITFLEET_* variables and a config file by the CLI.</summary>
public sealed record ServerOptions
{
    /// <summary>Holds the database, artifact files, TLS certificate and signing keys.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where to listen, e.g. https://127.0.0.1:8443 (port 0 picks a free port). http:// is allowed for use behind a proxy.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["https://127.0.0.1:8443"];

    /// <summary>A PEM certificate (and key) to serve; when absent a self-signed one is generated into the data dir.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificateKeyPath { get; init; }

    /// <summary>The admin user's password on first start; generated (and reported once) when absent.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>A static management token accepted as a Bearer token (GITFLEET_ADMIN_TOKEN).</summary>
    public string? AdminToken { get; init; }

    public TimeSpan DeviceTokenLifetime { get; init; } = TimeSpan.FromDays(7);

    public TimeSpan UserTokenLifetime { get; init; } = TimeSpan.FromDays(7);

    public TimeSpan DownloadLinkLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often in-memory check-in times are written to the store.</summary>
    public TimeSpan CheckInFlushInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest JSON body accepted from a device or an operator.</summary>
    public int MaxJsonBodyBytes { get; init; } = 1024 * 1024;

    public long MaxArtifactBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>PEM public keys; when any is given, uploaded artifacts must carry a signature one of them verifies.</summary>
    public IReadOnlyList<string> ArtifactVerifyKeyPaths { get; init; } = [];

    /// <summary>Write request and server logs to the console.</summary>
    public bool ConsoleLogging { get; init; } = true;
}
