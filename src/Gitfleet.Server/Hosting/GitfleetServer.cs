using System.Net;
using Gitfleet.Server.Api;
using Gitfleet.Server.Api.Audit;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Api.Device;
using Gitfleet.Server.Api.Management;
using Gitfleet.Server.Api.Throttling;
using Gitfleet.Server.Artifacts;
using Gitfleet.Server.Cluster;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Dashboard;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Facts;
using Gitfleet.Server.Metrics;
using Gitfleet.Server.Notifications;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Reconcile.Git;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Cluster;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Hosting;

/// <summary>
/// A running Gitfleet server. Used by <c>gitfleet server</c>, by tests and by the demo: start it on port 0, read
/// <see cref="Urls"/>, trust <see cref="CertificatePath"/>, and dispose it to stop cleanly (check-ins are flushed).
/// </summary>
public sealed class GitfleetServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly IFleetStore store;
    private int stopped;

    private GitfleetServer(WebApplication app, IFleetStore store, DataDirectory data, string? certificatePath, string? generatedAdminPassword, IReadOnlyList<string> urls)
    {
        this.app = app;
        this.store = store;
        DataDirectory = data.Root;
        CertificatePath = certificatePath;
        GeneratedAdminPassword = generatedAdminPassword;
        Urls = urls;
    }

    /// <summary>The addresses actually bound (port 0 resolved), e.g. https://127.0.0.1:40123.</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The first bound address, without a trailing slash.</summary>
    public Uri BaseUri => new(Urls[0]);

    public string DataDirectory { get; }

    /// <summary>The store, for messages: the SQLite file, or the PostgreSQL URL without its password.</summary>
    public string StoreDescription => store switch
    {
        Gitfleet.Storage.Postgres.PostgresFleetStore postgres => postgres.Location.Display,
        Gitfleet.Storage.Sqlite.SqliteFleetStore sqlite => "SQLite " + sqlite.DatabasePath,
        _ => store.GetType().Name,
    };

    /// <summary>The PEM certificate clients should trust (null when serving plain HTTP only).</summary>
    public string? CertificatePath { get; }

    /// <summary>The admin password generated at this start (first start without GITFLEET_ADMIN_PASSWORD); null otherwise.</summary>
    public string? GeneratedAdminPassword { get; }

    public const string AdminUser = "admin";

    public IServiceProvider Services => app.Services;

    /// <summary>A configured artifact verification key that cannot be used stops the start, with the reason.</summary>
    private static void CheckArtifactVerifyKeys(ServerOptions options)
    {
        foreach (var path in options.ArtifactVerifyKeyPaths)
        {
            try
            {
                using var key = Gitfleet.Artifacts.Signing.VerificationKey.FromPem(File.ReadAllText(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new InvalidOperationException($"artifact verification key {path}: {e.Message}", e);
            }
        }
    }

    public static async Task<GitfleetServer> StartAsync(ServerOptions options, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var time = timeProvider ?? TimeProvider.System;
        CheckArtifactVerifyKeys(options);
        var data = new DataDirectory(options.DataDirectory, options.ArtifactsDirectory);
        var store = await StoreOpener.OpenAsync(options, data, cancellationToken).ConfigureAwait(false);
        var cluster = store as IClusterStore;
        try
        {
            var tokens = new TokenService(await SharedSecrets.TokenKeyAsync(cluster, data, cancellationToken).ConfigureAwait(false), time);
            var generatedPassword = await BootstrapAdminAsync(store, options, time, cancellationToken).ConfigureAwait(false);
            var registry = new DeviceRegistry();
            var accessTokens = new AccessTokenRegistry();
            var revocations = new TokenRevocations();
            var provides = new DeviceProvides();
            await foreach (var value in store.StreamProvidedAsync(cancellationToken).ConfigureAwait(false))
            {
                provides.Load(value.DeviceId, value.Value);
            }

            var freshness = new StoreFreshness(cluster?.Changes);
            var devices = new DeviceService(store, registry, provides, time, freshness);
            var accessTokenService = new AccessTokenService(store, accessTokens, revocations, tokens, time);
            var views = new ReplicaViews(devices, freshness, accessTokenService);
            if (cluster is not null)
            {
                // Read before loading: a change committed during the load is applied again after it (idempotent).
                views.Position = await cluster.Changes.PositionAsync(cancellationToken).ConfigureAwait(false);
            }

            await views.LoadAsync(cancellationToken).ConfigureAwait(false);
            var endpoints = options.Urls.Select(ParseUrl).ToList();
            EnsureAvailable(endpoints);
            string? certificatePath = null;
            System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
            if (endpoints.Any(e => e.Https))
            {
                if (cluster is not null)
                {
                    await SharedSecrets.ShareCertificateAsync(cluster, options, data, time, cancellationToken).ConfigureAwait(false);
                }

                (certificate, certificatePath) = ServerCertificate.Load(options, data, time);
            }

            // No configuration files are reloaded on change: the server reads none, and the watcher the host would put on
            // its content root (the data directory, recursively) was told of every write to the database and its log,
            // about 5 % of a large rollout decision's write in its own thread alone (docs/benchmarks.md, issue 13).
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ContentRootPath = data.Root, EnvironmentName = "Production", Args = ["--hostBuilder:reloadConfigOnChange=false"],
            });
            builder.Logging.ClearProviders();
            if (options.ConsoleLogging)
            {
                builder.Logging.AddSimpleConsole(o =>
                {
                    // UTC with milliseconds: replicas' logs are read side by side (a failover, a stall).
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                });
            }

            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxJsonBodyBytes * 2L, 1024 * 1024);
                foreach (var endpoint in endpoints)
                {
                    kestrel.Listen(endpoint.Address, endpoint.Port, listen =>
                    {
                        if (endpoint.Https)
                        {
                            listen.UseHttps(certificate!);
                        }
                    });
                }
            });
            builder.Services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(data);
            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton<IFleetStore>(store);
            if (cluster is not null)
            {
                builder.Services.AddSingleton(cluster);
                builder.Services.AddHostedService<ReplicaFollower>();
                builder.Services.AddHostedService<StatusPublisher>();
            }

            builder.Services.AddSingleton(views);
            builder.Services.AddSingleton(sp => new Leadership(cluster, options, sp.GetRequiredService<ILogger<Leadership>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Leadership>());
            builder.Services.AddSingleton(sp => new ReconcileRequests(sp.GetRequiredService<GitWatcher>(), sp.GetRequiredService<Leadership>(), cluster));
            builder.Services.AddSingleton(sp => new ReplicaMetrics(sp.GetRequiredService<ServerMetrics>(), sp.GetRequiredService<Leadership>(), cluster));
            builder.Services.AddSingleton(sp => new RolloutControls(sp.GetRequiredService<RolloutEngine>(), sp.GetRequiredService<Leadership>(), cluster));
            builder.Services.AddSingleton(tokens);
            builder.Services.AddSingleton(registry);
            builder.Services.AddSingleton(accessTokens);
            builder.Services.AddSingleton(revocations);
            var metrics = new ServerMetrics(cluster is null ? "sqlite" : "postgres");
            store.WriteObserver = metrics.StoreWrite;
            builder.Services.AddSingleton(metrics);
            builder.Services.AddSingleton<FleetGauges>();
            builder.Services.AddSingleton<DownloadLinks>();
            builder.Services.AddSingleton<ArtifactService>();
            builder.Services.AddSingleton(devices);
            builder.Services.AddSingleton(accessTokenService);
            builder.Services.AddSingleton<DeploymentService>();
            builder.Services.AddDelivery();
            builder.Services.AddSingleton<InstallHolds>();
            builder.Services.AddSingleton<FactsWriter>();
            builder.Services.AddSingleton(provides);
            builder.Services.AddSingleton<CheckInFlusher>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<CheckInFlusher>());
            builder.Services.AddSingleton<AdmissionController>();
            builder.Services.AddSingleton<RolloutEngine>();
            builder.Services.AddHostedService<RolloutService>();
            builder.Services.AddHostedService<SpentArtifactSweeper>();
            builder.Services.AddSingleton<GitWatcher>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<GitWatcher>());
            builder.Services.AddOpenApi();
            builder.Services.AddGitfleetRateLimits(options);
            builder.Services.AddGitfleetAuthorization();
            builder.Services.AddDashboard();
            builder.Services.AddNotifications();
            builder.Services.AddAudit();

            var app = builder.Build();
            app.UseMiddleware<AuditTrail>();
            app.UseMiddleware<ApiMiddleware>();
            app.UseRateLimiter();
            app.UseAuthorization();
            app.UseMiddleware<DownloadMeter>();
            app.MapDeviceAuthApi();
            app.MapDeviceInventoryApi();
            app.MapDeviceDeploymentsApi();
            app.MapDeviceConfigApi();
            app.MapDownloads();

            // The management API: every route needs the role ManagementAuthorization decides (login and info are anonymous).
            var management = app.MapGroup("").RequireAuthorization(ManagementAuthorization.Policy);
            management.MapUserAdmApi();
            management.MapDevAuthApi();
            management.MapInventoryApi();
            management.MapArtifactsApi();
            management.MapDeploymentsApi();
            management.MapDeviceConfigManagementApi();
            management.MapGitfleetApi();
            management.MapDeltaApi();
            management.MapBranchApi();
            management.MapDeviceHistoryApi();
            management.MapAuditApi();
            management.MapNotificationApi();
            app.MapWebhooks();
            app.MapHealth();
            app.MapOpenApi("/api/openapi.json");
            app.MapDashboard();
            app.MapFallback((HttpContext context) => throw ApiException.NotFound($"no such endpoint: {context.Request.Method} {context.Request.Path}"));

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Select(a => a.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'))
                .ToList();
            return new GitfleetServer(app, store, data, certificatePath, generatedPassword, bound);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0)
        {
            return;
        }

        await app.StopAsync(cancellationToken).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        await store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Blocks until the token is cancelled (Ctrl-C) or the host is asked to stop (SIGTERM), then stops cleanly.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static async Task<string?> BootstrapAdminAsync(IFleetStore store, ServerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await store.FindUserAsync(AdminUser, cancellationToken).ConfigureAwait(false) is not null)
        {
            return null;
        }

        var password = options.AdminPassword is { Length: > 0 } given ? given : PasswordHasher.Generate();
        await store.CreateUserAsync(new UserRecord(Guid.NewGuid().ToString(), AdminUser, PasswordHasher.Hash(password), time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return options.AdminPassword is { Length: > 0 } ? null : password;
    }

    /// <summary>
    /// Fails with a clear message when a listen address is taken, before the host would log the bind failure with
    /// its stack trace.
    /// </summary>
    private static void EnsureAvailable(IEnumerable<(bool Https, IPAddress Address, int Port)> endpoints)
    {
        foreach (var (https, address, port) in endpoints.Where(e => e.Port != 0))
        {
            using var socket = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(address, port));
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                var url = $"{(https ? "https" : "http")}://{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address)}:{port}";
                throw new IOException($"cannot listen on {url}: the address is already in use (is another server running?); choose another with --urls", e);
            }
        }
    }

    private static (bool Https, IPAddress Address, int Port) ParseUrl(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"'{url}' is not an http:// or https:// URL with a host and port", nameof(url));
        }

        var address = uri.Host switch
        {
            "localhost" => IPAddress.Loopback,
            _ when IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) => ip,
            _ => throw new ArgumentException($"'{url}': listen on an IP address or localhost, not '{uri.Host}'", nameof(url)),
        };
        return (uri.Scheme == "https", address, uri.Port);
    }
}
