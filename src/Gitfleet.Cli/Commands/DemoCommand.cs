using System.CommandLine;
using Gitfleet.Cli.Demo;

namespace Gitfleet.Cli.Commands;

/// <summary>
/// <c>gitfleet demo</c>: Gitfleet's main job on its embedded defaults (see <see cref="DemoRun"/>).
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var directory = new Option<string>("--dir")
        {
            Description = "Where the demo keeps its fleet repository, server data and artifacts (recreated on every run).",
            DefaultValueFactory = _ => Path.Combine(".gitfleet", "demo"),
            HelpName = "DIR",
        };
        var devices = new Option<int>("--devices") { Description = "Simulated field devices besides the sample's seven.", DefaultValueFactory = _ => 300, HelpName = "N" };
        var poll = new Option<double>("--poll-interval") { Description = "Seconds between a device's update checks.", DefaultValueFactory = _ => 2, HelpName = "SECONDS" };
        var port = new Option<int>("--port") { Description = "HTTPS port of the server on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var exit = new Option<bool>("--exit") { Description = "Stop at the end of the walk-through instead of keeping the server and devices running (always so without a terminal)." };
        var fleetOnly = new Option<bool>("--fleet-only") { Description = "Only write the demo's fleet repository to DIR/fleet (recreating DIR), for servers started next (./demo.sh --replicas N)." };
        var server = new Option<string?>("--server")
        {
            Description = "Use servers already running (e.g. replicas behind HAProxy) that watch DIR/fleet, written by --fleet-only, instead of starting one on SQLite. Token from $GITFLEET_TOKEN.",
            HelpName = "URL",
        };
        var caCert = new Option<string?>("--ca-cert") { Description = "The certificate (PEM) of --server.", HelpName = "PEM" };
        var command = new Command("demo", "Run the whole system on embedded defaults: a server on SQLite, the sample fleet in git, simulated devices, and a release walked from main through canary to production.")
        {
            directory, devices, poll, port, exit, fleetOnly, server, caCert,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new DemoSettings
            {
                Directory = console.ResolvePath(parse.GetValue(directory)!),
                FieldDevices = parse.GetValue(devices),
                PollInterval = TimeSpan.FromSeconds(parse.GetValue(poll)),
                Port = parse.GetValue(port),
                KeepRunning = console.Interactive && !parse.GetValue(exit),
                FleetOnly = parse.GetValue(fleetOnly),
                Server = parse.GetValue(server) is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "https" ? uri : null,
                CaCertificate = parse.GetValue(caCert) is { } pem ? console.ResolvePath(pem) : null,
                Token = console.Environment("GITFLEET_TOKEN"),
                AdminPassword = console.Environment("GITFLEET_ADMIN_PASSWORD"),
            };
            if (parse.GetValue(server) is { } given && settings.Server is null)
            {
                return console.Fail($"--server must be an https:// URL, not '{given}'");
            }

            if (settings.Server is not null && (settings.FleetOnly || settings.CaCertificate is null || string.IsNullOrEmpty(settings.Token)))
            {
                return console.Fail("--server needs --ca-cert and a management token in $GITFLEET_TOKEN, and does not go with --fleet-only");
            }
            if (settings.FieldDevices is < 0 or > 200_000)
            {
                return console.Fail("--devices must be between 0 and 200000");
            }

            if (settings.PollInterval < TimeSpan.FromSeconds(0.2) || settings.PollInterval > TimeSpan.FromHours(1))
            {
                return console.Fail("--poll-interval must be between 0.2 and 3600 seconds");
            }

            if (settings.Port is < 0 or > 65535)
            {
                return console.Fail("--port must be between 0 and 65535");
            }

            try
            {
                return await new DemoRun(console, settings).RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                console.Error.WriteLine("demo stopped; run it again to start over");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or Gitfleet.Client.ManagementApiException or Gitfleet.Git.GitCommandException)
            {
                // A busy --port, a missing git, a server that refused something: the reason, not a stack trace.
                return console.Fail($"the demo could not go on: {e.Message}");
            }
        });
        return command;
    }
}
