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

    /// <summary>
    /// How often the leader removes generated configuration artifacts whose deployments finished more than
    /// <see cref="DownloadLinkLifetime"/> ago (<see cref="Artifacts.SpentArtifactSweeper"/>).
    /// </summary>
    public TimeSpan ArtifactSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often in-memory check-in times are written to the store.</summary>
    public TimeSpan CheckInFlushInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest JSON body accepted from a device or an operator.</summary>
    public int MaxJsonBodyBytes { get; init; } = 1024 * 1024;

    public long MaxArtifactBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>PEM public keys; when any is given, uploaded artifacts must carry a signature one of them verifies.</summary>
    public IReadOnlyList<string> ArtifactVerifyKeyPaths { get; init; } = [];

    /// <summary>The fleet repository the server watches (a path or a git URL); null: targets arrive only through the API.</summary>
    public string? FleetRepository { get; init; }

    /// <summary>The branches of <see cref="FleetRepository"/> the server reconciles, each on its own.</summary>
    public IReadOnlyList<string> FleetBranches { get; init; } = [];

    /// <summary>How often the watcher fetches the fleet repository (webhooks trigger a branch at once).</summary>
    public TimeSpan FleetPollInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the watcher may spend loading, validating and planning one commit (its time budget; its memory is
    /// bounded by the YAML node and template output limits). A commit that takes longer is Stalled like an invalid one.
    /// </summary>
    public TimeSpan FleetRevisionTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Shared secret of the push webhooks (GitHub and Gitea HMAC, GitLab token); webhooks are refused without one.</summary>
    public string? WebhookSecret { get; init; }

    /// <summary>Largest branch target accepted (decompressed): a 200,000-device target is tens of MB.</summary>
    public long MaxTargetBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>How often the rollout engine compares every branch's target with the devices' reported state.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a device that just succeeded may still report its old state before it counts as drifted.</summary>
    public TimeSpan DriftGracePeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Run the rollout engine and the git watcher in the background (the server always does; in-process tests turn
    /// it off and call the engine and the watcher themselves, so nothing moves between their steps).
    /// </summary>
    public bool BackgroundReconcile { get; init; } = true;

    /// <summary>Secrets for configuration templates (the <c>env</c> helper) when the watcher plans: the server's environment.</summary>
    public Func<string, string?> Secrets { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>
    /// The store: null for SQLite in the data dir (one process), or a <c>postgres://USER@HOST[:PORT]/DATABASE</c> URL
    /// shared by any number of replicas. Holds no password (see <see cref="StorePassword"/>).
    /// </summary>
    public string? Store { get; init; }

    /// <summary>The store's password (GITFLEET_STORE_PASSWORD or the file named by store_password_file). Never logged.</summary>
    public string? StorePassword { get; init; }

    /// <summary>This replica's name in the leader lease, logs and /metrics (default: host name and process id).</summary>
    public string ReplicaName { get; init; } = $"{System.Environment.MachineName}-{System.Environment.ProcessId}";

    /// <summary>
    /// How long a leader's lease lasts without renewal (renewed every third of it). A dead leader is replaced after
    /// at most this long, plus one renewal period of the follower that takes over.
    /// </summary>
    public TimeSpan LeaderLeaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where artifact files live: the data dir's artifacts/ by default; with replicas, a directory all of them share (NFS).</summary>
    public string? ArtifactsDirectory { get; init; }

    /// <summary>
    /// Device auth requests that would write (a new identity or a new key) accepted per source address and minute, as a
    /// burst that refills evenly; 0 turns the limit off. Requests of known identities with known keys are never limited.
    /// </summary>
    public int AuthRequestsPerAddressPerMinute { get; init; } = 60;

    /// <summary>Device auth requests with a new key for one identity per minute (0: no limit).</summary>
    public int AuthRequestsPerIdentityPerMinute { get; init; } = 10;

    /// <summary>New pending devices the whole server admits per minute (0: no limit); preauthorized devices do not count.</summary>
    public int NewDevicesPerMinute { get; init; } = 1000;

    /// <summary>Login attempts (HTTP Basic, useradm) per source address and minute (0: no limit).</summary>
    public int LoginsPerAddressPerMinute { get; init; } = 30;

    /// <summary>Delta updates and offloaded downloads.</summary>
    public Delivery.DeliveryOptions Delivery { get; init; } = new();

    /// <summary>Outbound webhooks for rollout, gate, stall and admission events (docs/notifications.md).</summary>
    public IReadOnlyList<Notifications.NotificationEndpoint> NotificationWebhooks { get; init; } = [];

    /// <summary>Write request and server logs to the console.</summary>
    public bool ConsoleLogging { get; init; } = true;
}
