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
        var command = new Command("demo", "Run the whole system on embedded defaults: a server on SQLite, the sample fleet in git, simulated devices, and a release walked from main through canary to production.")
        {
            directory, devices, poll, port, exit,
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
            };
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
