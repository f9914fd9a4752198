using System.Globalization;
using System.Text.Json;
using Gitfleet.Server.Delivery;

namespace Gitfleet.Server.Hosting;

/// <summary>
/// Builds <see cref="ServerOptions"/> from three layers, strongest first: command-line flags, GITFLEET_* environment
/// variables, and an optional JSON config file (docs/server.md lists every key). Unknown config keys are errors.
/// </summary>
public static class ServerSettings
{
    /// <summary>Setting name (config-file key) → environment variable.</summary>
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["data"] = "GITFLEET_DATA",
        ["urls"] = "GITFLEET_URLS",
        ["certificate"] = "GITFLEET_CERTIFICATE",
        ["certificate_key"] = "GITFLEET_CERTIFICATE_KEY",
        ["admin_password"] = "GITFLEET_ADMIN_PASSWORD",
        ["admin_token"] = "GITFLEET_ADMIN_TOKEN",
        ["device_token_lifetime"] = "GITFLEET_DEVICE_TOKEN_LIFETIME",
        ["user_token_lifetime"] = "GITFLEET_USER_TOKEN_LIFETIME",
        ["download_link_lifetime"] = "GITFLEET_DOWNLOAD_LINK_LIFETIME",
        ["artifact_sweep_interval"] = "GITFLEET_ARTIFACT_SWEEP_INTERVAL",
        ["checkin_flush_interval"] = "GITFLEET_CHECKIN_FLUSH_INTERVAL",
        ["max_json_body_bytes"] = "GITFLEET_MAX_JSON_BODY_BYTES",
        ["max_artifact_bytes"] = "GITFLEET_MAX_ARTIFACT_BYTES",
        ["artifact_verify_keys"] = "GITFLEET_ARTIFACT_VERIFY_KEYS",
        ["fleet_repo"] = "GITFLEET_FLEET_REPO",
        ["fleet_branches"] = "GITFLEET_FLEET_BRANCHES",
        ["fleet_poll_interval"] = "GITFLEET_FLEET_POLL_INTERVAL",
        ["fleet_revision_timeout"] = "GITFLEET_FLEET_REVISION_TIMEOUT",
        ["webhook_secret"] = "GITFLEET_WEBHOOK_SECRET",
        ["max_target_bytes"] = "GITFLEET_MAX_TARGET_BYTES",
        ["reconcile_interval"] = "GITFLEET_RECONCILE_INTERVAL",
        ["drift_grace_period"] = "GITFLEET_DRIFT_GRACE_PERIOD",
        ["store"] = "GITFLEET_STORE",
        ["store_password_file"] = "GITFLEET_STORE_PASSWORD_FILE",
        ["replica_name"] = "GITFLEET_REPLICA_NAME",
        ["leader_lease_duration"] = "GITFLEET_LEADER_LEASE_DURATION",
        ["artifacts_dir"] = "GITFLEET_ARTIFACTS_DIR",
        ["rate_limit_auth_per_address"] = "GITFLEET_RATE_LIMIT_AUTH_PER_ADDRESS",
        ["rate_limit_auth_per_identity"] = "GITFLEET_RATE_LIMIT_AUTH_PER_IDENTITY",
        ["rate_limit_new_devices"] = "GITFLEET_RATE_LIMIT_NEW_DEVICES",
        ["rate_limit_login_per_address"] = "GITFLEET_RATE_LIMIT_LOGIN_PER_ADDRESS",
        ["delta_updates"] = "GITFLEET_DELTA_UPDATES",
        ["delta_wait"] = "GITFLEET_DELTA_WAIT",
        ["delta_timeout"] = "GITFLEET_DELTA_TIMEOUT",
        ["download_base_url"] = "GITFLEET_DOWNLOAD_BASE_URL",
        ["download_secret"] = "GITFLEET_DOWNLOAD_SECRET",
        ["notification_webhooks"] = "GITFLEET_NOTIFICATION_WEBHOOKS",
    };

    /// <summary>The store's password, from the environment only (never a flag or the config file, which others may read).</summary>
    public const string StorePasswordVariable = "GITFLEET_STORE_PASSWORD";

    /// <summary>Combines the layers. <paramref name="flags"/> holds only the settings given on the command line.</summary>
    public static ServerOptions Load(IReadOnlyDictionary<string, string> flags, Func<string, string?> environment, string? configFile)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);
        var file = configFile is null ? new Dictionary<string, string>(StringComparer.Ordinal) : ReadConfigFile(configFile);
        string? Get(string name) =>
            flags.TryGetValue(name, out var flag) ? flag
            : environment(Environment[name]) is { Length: > 0 } env ? env
            : file.GetValueOrDefault(name);

        var data = Get("data") ?? throw new ServerSettingsException("the data directory is required (--data DIR or GITFLEET_DATA)");
        var defaults = new ServerOptions { DataDirectory = data };
        var fleetRepository = Get("fleet_repo");
        var fleetBranches = Get("fleet_branches") is { } branches ? List(branches) : [];
        if (fleetRepository is null && fleetBranches.Count > 0)
        {
            throw new ServerSettingsException("fleet_branches needs fleet_repo (--fleet-repo URL|PATH)");
        }

        if (fleetRepository is not null && fleetBranches.Count == 0)
        {
            throw new ServerSettingsException("fleet_repo needs the branches to reconcile (--fleet-branches main,canary,production)");
        }

        if (fleetBranches.FirstOrDefault(b => b.StartsWith('-') || b.Contains("..", StringComparison.Ordinal) || b.Any(char.IsWhiteSpace)) is { } bad)
        {
            throw new ServerSettingsException($"fleet_branches: '{bad}' is not a branch name");
        }

        var (store, storePassword) = Store(Get("store"), Get("store_password_file"), environment);
        return defaults with
        {
            Store = store,
            StorePassword = storePassword,
            ReplicaName = Get("replica_name") ?? defaults.ReplicaName,
            LeaderLeaseDuration = Duration(Get("leader_lease_duration"), "leader_lease_duration") ?? defaults.LeaderLeaseDuration,
            ArtifactsDirectory = Get("artifacts_dir"),
            FleetRepository = fleetRepository,
            FleetBranches = fleetBranches.Distinct(StringComparer.Ordinal).ToList(),
            FleetPollInterval = Duration(Get("fleet_poll_interval"), "fleet_poll_interval") ?? defaults.FleetPollInterval,
            FleetRevisionTimeout = RevisionTimeout(Get("fleet_revision_timeout")) ?? defaults.FleetRevisionTimeout,
            WebhookSecret = Get("webhook_secret"),
            MaxTargetBytes = Number(Get("max_target_bytes"), "max_target_bytes") ?? defaults.MaxTargetBytes,
            ReconcileInterval = Duration(Get("reconcile_interval"), "reconcile_interval") ?? defaults.ReconcileInterval,
            DriftGracePeriod = Duration(Get("drift_grace_period"), "drift_grace_period") ?? defaults.DriftGracePeriod,
            Urls = Get("urls") is { } urls ? List(urls) : defaults.Urls,
            CertificatePath = Get("certificate"),
            CertificateKeyPath = Get("certificate_key"),
            AdminPassword = Get("admin_password"),
            AdminToken = Get("admin_token"),
            DeviceTokenLifetime = Duration(Get("device_token_lifetime"), "device_token_lifetime") ?? defaults.DeviceTokenLifetime,
            UserTokenLifetime = Duration(Get("user_token_lifetime"), "user_token_lifetime") ?? defaults.UserTokenLifetime,
            DownloadLinkLifetime = Duration(Get("download_link_lifetime"), "download_link_lifetime") ?? defaults.DownloadLinkLifetime,
            ArtifactSweepInterval = Duration(Get("artifact_sweep_interval"), "artifact_sweep_interval") ?? defaults.ArtifactSweepInterval,
            CheckInFlushInterval = Duration(Get("checkin_flush_interval"), "checkin_flush_interval") ?? defaults.CheckInFlushInterval,
            MaxJsonBodyBytes = (int)(Number(Get("max_json_body_bytes"), "max_json_body_bytes") ?? defaults.MaxJsonBodyBytes),
            MaxArtifactBytes = Number(Get("max_artifact_bytes"), "max_artifact_bytes") ?? defaults.MaxArtifactBytes,
            ArtifactVerifyKeyPaths = Get("artifact_verify_keys") is { } keys ? List(keys) : [],
            AuthRequestsPerAddressPerMinute = PerMinute(Get("rate_limit_auth_per_address"), "rate_limit_auth_per_address") ?? defaults.AuthRequestsPerAddressPerMinute,
            AuthRequestsPerIdentityPerMinute = PerMinute(Get("rate_limit_auth_per_identity"), "rate_limit_auth_per_identity") ?? defaults.AuthRequestsPerIdentityPerMinute,
            NewDevicesPerMinute = PerMinute(Get("rate_limit_new_devices"), "rate_limit_new_devices") ?? defaults.NewDevicesPerMinute,
            LoginsPerAddressPerMinute = PerMinute(Get("rate_limit_login_per_address"), "rate_limit_login_per_address") ?? defaults.LoginsPerAddressPerMinute,
            Delivery = DeliverySettings.Load(Get, defaults.Delivery),
            NotificationWebhooks = Notifications.NotificationEndpoint.ParseAll(Get("notification_webhooks")),
        };
    }

    /// <summary>
    /// The store setting: "sqlite" (or nothing) for the embedded default, or a postgres:// URL. Its password comes
    /// from GITFLEET_STORE_PASSWORD or a file (first line); a password written in the URL is accepted but the
    /// messages here never repeat the URL as given.
    /// </summary>
    private static (string? Store, string? Password) Store(string? store, string? passwordFile, Func<string, string?> environment)
    {
        if (store is null || store.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return passwordFile is null ? (null, null) : throw new ServerSettingsException("store_password_file needs a postgres:// store");
        }

        if (!Gitfleet.Storage.Postgres.PostgresLocation.IsPostgresUrl(store))
        {
            throw new ServerSettingsException("store: use sqlite (the default) or postgres://USER@HOST[:PORT]/DATABASE");
        }

        try
        {
            _ = Gitfleet.Storage.Postgres.PostgresLocation.Parse(store, null);
        }
        catch (FormatException e)
        {
            throw new ServerSettingsException("store: " + e.Message, e);
        }

        var password = environment(StorePasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (password is null && passwordFile is not null)
        {
            try
            {
                password = File.ReadLines(passwordFile).FirstOrDefault()?.TrimEnd('\r') is { Length: > 0 } line
                    ? line
                    : throw new ServerSettingsException($"store_password_file {passwordFile} is empty");
            }
            catch (IOException e)
            {
                throw new ServerSettingsException($"cannot read store_password_file {passwordFile}: {e.Message}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ServerSettingsException($"cannot read store_password_file {passwordFile}: {e.Message}", e);
            }
        }

        return (store, password);
    }

    private static Dictionary<string, string> ReadConfigFile(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ServerSettingsException($"{path}: the config file must hold a JSON object");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!Environment.ContainsKey(property.Name))
                {
                    throw new ServerSettingsException($"{path}: unknown setting '{property.Name}'; known: {string.Join(", ", Environment.Keys)}");
                }

                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.Array when property.Name == "notification_webhooks" => property.Value.GetRawText(),
                    JsonValueKind.Array => string.Join(',', property.Value.EnumerateArray().Select(v => v.GetString())),
                    JsonValueKind.String => property.Value.GetString()!,
                    _ => property.Value.GetRawText(),
                };
            }

            return values;
        }
        catch (IOException e)
        {
            throw new ServerSettingsException($"cannot read the config file {path}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new ServerSettingsException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static List<string> List(string value) =>
        value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>A positive duration: "90s", "15m", "1h30m", "7d" (<see cref="Core.Fleet.DurationText"/>, at most a year), or a .NET TimeSpan ("01:00:00").</summary>
    /// <summary>At most a day: the watcher arms a cancellation timer with it, and such timers stop at about 49 days.</summary>
    private static TimeSpan? RevisionTimeout(string? value)
    {
        var budget = Duration(value, "fleet_revision_timeout");
        return budget > TimeSpan.FromDays(1) ? throw new ServerSettingsException($"fleet_revision_timeout: '{value}' is longer than a day (1d)") : budget;
    }

    internal static TimeSpan? Duration(string? value, string name)
    {
        if (value is null)
        {
            return null;
        }

        if (Core.Fleet.DurationText.TryParse(value, out var duration, out var problem) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero && span <= Core.Fleet.DurationText.Maximum
            ? span
            : throw new ServerSettingsException($"{name}: '{value}' is not a duration (a positive one, like 90s, 15m, 12h, 7d){(problem?.StartsWith("is longer", StringComparison.Ordinal) == true ? ": it " + problem : "")}");
    }

    /// <summary>A rate per minute: 0 (no limit) to 1,000,000.</summary>
    private static int? PerMinute(string? value, string name) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 1_000_000 ? number
        : throw new ServerSettingsException($"{name}: '{value}' is not a number of requests per minute from 0 (no limit) to 1000000");

    private static long? Number(string? value, string name) =>
        value is null ? null
        : long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number > 0 ? number
        : throw new ServerSettingsException($"{name}: '{value}' is not a positive number");
}

public sealed class ServerSettingsException : Exception
{
    public ServerSettingsException(string message)
        : base(message)
    {
    }

    public ServerSettingsException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ServerSettingsException()
    {
    }
}
