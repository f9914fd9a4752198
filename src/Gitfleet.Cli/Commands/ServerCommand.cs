using System.CommandLine;
using Gitfleet.Server.Hosting;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet server</c>: runs the device-management server until Ctrl-C.</summary>
internal static class ServerCommand
{
    public static Command Create(CliConsole console)
    {
        var data = new Option<string?>("--data") { Description = "Data directory: database, artifacts, TLS certificate, keys (GITFLEET_DATA)." };
        var urls = new Option<string[]>("--urls") { Description = "Listen URLs, e.g. https://127.0.0.1:8443 (GITFLEET_URLS; several: comma-separated).", AllowMultipleArgumentsPerToken = true };
        var config = new Option<string?>("--config") { Description = "A JSON config file (keys listed in docs/server.md)." };
        var certificate = new Option<string?>("--certificate") { Description = "PEM certificate to serve instead of the generated self-signed one." };
        var certificateKey = new Option<string?>("--certificate-key") { Description = "PEM private key of --certificate." };
        var fleetRepo = new Option<string?>("--fleet-repo") { Description = "Fleet repository to watch and reconcile: a path or a git URL (GITFLEET_FLEET_REPO)." };
        var fleetBranches = new Option<string?>("--fleet-branches") { Description = "Branches to reconcile, comma-separated, e.g. main,canary,production (GITFLEET_FLEET_BRANCHES)." };
        var fleetPoll = new Option<string?>("--fleet-poll-interval") { Description = "How often to fetch the fleet repository, e.g. 60s (GITFLEET_FLEET_POLL_INTERVAL)." };
        var webhookSecret = new Option<string?>("--webhook-secret") { Description = "Secret of the push webhooks (GitHub, Gitea, GitLab); prefer GITFLEET_WEBHOOK_SECRET." };
        var store = new Option<string?>("--store") { Description = "The store: sqlite (default, in the data directory) or postgres://USER@HOST[:PORT]/DATABASE shared by replicas (GITFLEET_STORE). The password comes from GITFLEET_STORE_PASSWORD or --store-password-file." };
        var storePasswordFile = new Option<string?>("--store-password-file") { Description = "A file whose first line is the store's password (GITFLEET_STORE_PASSWORD_FILE)." };
        var replicaName = new Option<string?>("--replica-name") { Description = "This replica's name in the leader lease, logs and metrics (GITFLEET_REPLICA_NAME; default host-pid)." };
        var artifactsDir = new Option<string?>("--artifacts-dir") { Description = "Artifact files: a directory every replica shares, e.g. on NFS (GITFLEET_ARTIFACTS_DIR; default DATA/artifacts)." };
        var command = new Command("server", "Run the device-management server (Mender-compatible device and management APIs).")
        {
            data, urls, config, certificate, certificateKey, fleetRepo, fleetBranches, fleetPoll, webhookSecret, store, storePasswordFile, replicaName, artifactsDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (parse.GetValue(data) is { } dir)
            {
                flags["data"] = console.ResolvePath(dir);
            }

            if (parse.GetValue(urls) is { Length: > 0 } list)
            {
                flags["urls"] = string.Join(',', list);
            }

            if (parse.GetValue(certificate) is { } cert)
            {
                flags["certificate"] = console.ResolvePath(cert);
            }

            if (parse.GetValue(certificateKey) is { } key)
            {
                flags["certificate_key"] = console.ResolvePath(key);
            }

            if (parse.GetValue(fleetRepo) is { } repo)
            {
                flags["fleet_repo"] = Directory.Exists(console.ResolvePath(repo)) ? console.ResolvePath(repo) : repo;
            }

            if (parse.GetValue(fleetBranches) is { } branches)
            {
                flags["fleet_branches"] = branches;
            }

            if (parse.GetValue(fleetPoll) is { } poll)
            {
                flags["fleet_poll_interval"] = poll;
            }

            if (parse.GetValue(webhookSecret) is { } secret)
            {
                flags["webhook_secret"] = secret;
            }

            if (parse.GetValue(store) is { } storeSetting)
            {
                flags["store"] = storeSetting;
            }

            if (parse.GetValue(storePasswordFile) is { } passwordFile)
            {
                flags["store_password_file"] = console.ResolvePath(passwordFile);
            }

            if (parse.GetValue(replicaName) is { } name)
            {
                flags["replica_name"] = name;
            }

            if (parse.GetValue(artifactsDir) is { } artifacts)
            {
                flags["artifacts_dir"] = console.ResolvePath(artifacts);
            }

            ServerOptions options;
            try
            {
                var configFile = parse.GetValue(config) is { } path ? console.ResolvePath(path) : null;
                options = ServerSettings.Load(flags, console.Environment, configFile);
            }
            catch (ServerSettingsException e)
            {
                return console.Fail(e.Message);
            }

            await using var server = await GitfleetServer.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
            console.Error.WriteLine($"gitfleet server listening on {string.Join(", ", server.Urls)}");
            console.Error.WriteLine($"data directory: {server.DataDirectory}");
            console.Error.WriteLine($"store: {server.StoreDescription}; replica {options.ReplicaName}");
            if (server.CertificatePath is { } certificatePath)
            {
                console.Error.WriteLine($"TLS certificate (give this to clients, e.g. Mender's ServerCertificate): {certificatePath}");
            }

            if (server.GeneratedAdminPassword is { } password)
            {
                console.Error.WriteLine($"created user '{GitfleetServer.AdminUser}' with generated password: {password}");
                console.Error.WriteLine("(shown once; set GITFLEET_ADMIN_PASSWORD on first start to choose it)");
            }

            await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            console.Error.WriteLine("gitfleet server stopped");
            return ExitCodes.Ok;
        });
        return command;
    }
}
