using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gitfleet.Core.Fleet;
using Gitfleet.Simulator;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;

namespace Gitfleet.Cli.Commands;

/// <summary><c>gitfleet simulate</c>: thousands of simulated Mender devices against a server, until Ctrl-C (docs/simulator.md).</summary>
internal static class SimulateCommand
{
    public static Command Create(CliConsole console)
    {
        var server = new Option<string>("--server") { Description = "The server's base URL, e.g. https://127.0.0.1:8443.", Required = true, HelpName = "URL" };
        var devices = new Option<int>("--devices", "-n") { Description = "How many devices to simulate.", DefaultValueFactory = _ => 100, HelpName = "N" };
        var types = new Option<string?>("--device-types") { Description = "Comma-separated device types, taken in turn (default: the sample fleet's five).", HelpName = "TYPE,..." };
        var images = new Option<string[]>("--initial-image")
        {
            Description = "The image a device type starts with, TYPE=NAME (repeat; default TYPE-factory); TYPE=A,B,C spreads the type's devices over several images in turn.",
            HelpName = "TYPE=NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var deltaSupport = Rate("--delta-support", "Share of devices with the gitfleet-delta module (they report gitfleet_delta_formats=xdelta3 and get deltas).");
        var poll = Duration("--poll-interval", "Update check interval (the Mender client's UpdatePollIntervalSeconds; its default is 1800).", "30");
        var inventory = Duration("--inventory-interval", "Inventory interval (InventoryPollIntervalSeconds); inventory is also sent after every deployment.", "3600");
        var retry = Duration("--retry-interval", "Wait after a failed request, while pending, and before resuming a download (RetryPollIntervalSeconds).", "30");
        var ramp = Duration("--ramp", "Spread the devices' start over this time (default: min(poll interval, devices / 1000 s)).", null);
        var install = Duration("--install-time", "How long an OS install takes (±20 %).", "10");
        var reboot = Duration("--reboot-time", "How long a reboot into a new image takes (±20 %).", "20");
        var failureRate = Rate("--failure-rate", "Probability that an install fails.");
        var offlineRate = Rate("--offline-rate", "Probability, at each update check, that a device goes offline for a while.");
        var offlineFor = new Option<string>("--offline-for") { Description = "How long an offline device stays away, MIN-MAX seconds (or durations: 1m-10m).", DefaultValueFactory = _ => "60-600", HelpName = "MIN-MAX" };
        var flakyRate = Rate("--flaky-network-rate", "Probability that a request is dropped, loses its answer, or is slow.");
        var dropRate = Rate("--download-drop-rate", "Probability that a download attempt breaks off (resumed with HTTP Range).");
        var failImage = new Option<string[]>("--fail-image")
        {
            Description = "Make an image fail on some devices: PATTERN[@COND,...], COND one of device_type=A|B, index=N-M, probability=P, phase=install|health-check, identity.KEY=V, KEY=V (applied configuration, e.g. subscribed_branch=canary). Repeat for more rules.",
            HelpName = "RULE",
        };
        var seed = new Option<long>("--seed") { Description = "Seed of every random decision: the same seed gives the same decisions.", DefaultValueFactory = _ => 1, HelpName = "K" };
        var caCert = new Option<string?>("--ca-cert") { Description = "PEM certificate (or CA) of the server to trust, e.g. DATA/tls/server.crt.", HelpName = "PEM" };
        var insecure = new Option<bool>("--insecure") { Description = "Do not verify the server's certificate (test servers only)." };
        var prefix = new Option<string>("--identity-prefix") { Description = "Identities are mac + serial PREFIX-000042; another prefix is another fleet.", DefaultValueFactory = _ => "sim", HelpName = "PREFIX" };
        var token = new Option<string?>("--preauthorize-with-token")
        {
            Description = "A management token (e.g. GITFLEET_ADMIN_TOKEN): devices are preauthorized, and pending ones of this fleet accepted. 'env:NAME' reads it from a variable (keeps it out of ps).",
            HelpName = "TOKEN",
        };
        var connections = new Option<int>("--connections") { Description = "HTTP connections shared by all devices.", DefaultValueFactory = _ => 64, HelpName = "N" };
        var summary = Duration("--summary-interval", "Print a summary line this often (0: never).", "10");
        var duration = Duration("--duration", "Stop after this time (0: run until Ctrl-C).", "0");
        var untilIdle = new Option<bool>("--until-idle") { Description = "Stop once every device is admitted, idle and has made its first update check (or at --duration, whichever comes first)." };
        var json = new Option<bool>("--json") { Description = "At the end, write the final counters as one JSON document to stdout." };
        var command = new Command("simulate", "Run simulated Mender devices against a Gitfleet (or Mender) server until Ctrl-C.")
        {
            server, devices, types, images, deltaSupport, poll, inventory, retry, ramp, install, reboot, failureRate, offlineRate, offlineFor, flakyRate, dropRate, failImage,
            seed, caCert, insecure, prefix, token, connections, summary, duration, untilIdle, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            SimulatorOptions options;
            try
            {
                options = new SimulatorOptions
                {
                    Server = Uri.TryCreate(parse.GetValue(server), UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"'{parse.GetValue(server)}' is not a URL"),
                    Devices = parse.GetValue(devices),
                    DeviceTypes = parse.GetValue(types) is { } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : SimulatorOptions.DefaultDeviceTypes,
                    InitialImages = (parse.GetValue(images) ?? []).Select(Pair).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                    DeltaSupport = parse.GetValue(deltaSupport),
                    PollInterval = Seconds(parse.GetValue(poll), "--poll-interval")!.Value,
                    InventoryInterval = Seconds(parse.GetValue(inventory), "--inventory-interval")!.Value,
                    RetryInterval = Seconds(parse.GetValue(retry), "--retry-interval")!.Value,
                    StartRamp = Seconds(parse.GetValue(ramp), "--ramp"),
                    InstallTime = Seconds(parse.GetValue(install), "--install-time")!.Value,
                    RebootTime = Seconds(parse.GetValue(reboot), "--reboot-time")!.Value,
                    Seed = parse.GetValue(seed),
                    CaCertificatePath = parse.GetValue(caCert) is { } pem ? console.ResolvePath(pem) : null,
                    Insecure = parse.GetValue(insecure),
                    IdentityPrefix = parse.GetValue(prefix)!,
                    ManagementToken = Token(parse.GetValue(token), console),
                    MaxConnections = parse.GetValue(connections),
                    MaxConcurrentSteps = Math.Max(256, parse.GetValue(connections) * 8),
                    Faults = Faults(parse.GetValue(failureRate), parse.GetValue(offlineRate), parse.GetValue(offlineFor)!, parse.GetValue(flakyRate), parse.GetValue(dropRate), parse.GetValue(failImage)),
                };
                options.Validate();
                if (options.CaCertificatePath is { } path && !File.Exists(path))
                {
                    throw new ArgumentException($"the CA certificate {path} does not exist");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                return console.Fail(e.Message);
            }

            var every = Seconds(parse.GetValue(summary), "--summary-interval") ?? TimeSpan.Zero;
            var stopAfter = Seconds(parse.GetValue(duration), "--duration") ?? TimeSpan.Zero;
            await using var fleet = FleetSimulator.Create(options);
            console.Error.WriteLine($"simulating {fleet.DeviceCount} devices against {options.Server} (seed {options.Seed}, poll every {options.PollInterval.TotalSeconds:0.#} s, start spread over {options.EffectiveStartRamp.TotalSeconds:0.#} s); Ctrl-C stops");
            await fleet.StartAsync(cancellationToken).ConfigureAwait(false);
            var interrupted = await RunUntilDoneAsync(console, fleet, every, stopAfter, parse.GetValue(untilIdle), cancellationToken).ConfigureAwait(false);
            await fleet.StopAsync().ConfigureAwait(false);
            var final = fleet.Statistics();
            console.Error.WriteLine(final.SummaryLine());
            if (parse.GetValue(json))
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    final.WriteJson(writer);
                }

                await console.Json.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
            }

            return interrupted ? ExitCodes.Interrupted : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Prints a summary line every <paramref name="every"/>; true when stopped by Ctrl-C rather than --duration or,
    /// with <paramref name="untilIdle"/>, every device idle after its first update check (looked at every 100 ms).
    /// </summary>
    private static async Task<bool> RunUntilDoneAsync(CliConsole console, FleetSimulator fleet, TimeSpan every, TimeSpan stopAfter, bool untilIdle, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var end = stopAfter > TimeSpan.Zero ? started + stopAfter : DateTime.MaxValue;
        var previous = fleet.Statistics();
        var nextSummary = every > TimeSpan.Zero ? started + every : DateTime.MaxValue;
        while (true)
        {
            if (untilIdle && fleet.Statistics() is var state && state[SimulatedDeviceState.Idle] == state.Devices && state.CheckInLatency.Count >= state.Devices)
            {
                return false;
            }

            var wake = nextSummary < end ? nextSummary : end;
            if (untilIdle && DateTime.UtcNow.AddMilliseconds(100) is var look && look < wake)
            {
                wake = look;
            }

            try
            {
                await Task.Delay(wake == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, (wake - DateTime.UtcNow).Ticks)), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return true;
            }

            if (DateTime.UtcNow >= end)
            {
                return false;
            }

            if (DateTime.UtcNow >= nextSummary)
            {
                var current = fleet.Statistics();
                console.Error.WriteLine(current.SummaryLine(previous));
                previous = current;
                nextSummary += every;
            }
        }
    }

    private static FaultSettings Faults(double failure, double offline, string offlineFor, double flaky, double drop, string[]? rules)
    {
        var dash = offlineFor.IndexOf('-', StringComparison.Ordinal);
        var (min, max) = dash < 0 ? (offlineFor, offlineFor) : (offlineFor[..dash], offlineFor[(dash + 1)..]);
        return new FaultSettings
        {
            InstallFailureRate = failure,
            OfflineRate = offline,
            OfflineMin = Seconds(min, "--offline-for")!.Value,
            OfflineMax = Seconds(max, "--offline-for")!.Value,
            FlakyNetworkRate = flaky,
            DownloadDropRate = drop,
            ImageFailures = (rules ?? []).Select(ImageFailureRule.Parse).ToList(),
        };
    }

    /// <summary>Seconds as a number ("30", "0.5") or a duration ("30s", "5m", "1h").</summary>
    private static TimeSpan? Seconds(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds < 1e9)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DurationText.TryParse(text, out var duration, out var problem) ? duration
            : throw new ArgumentException($"{option}: '{text}' is not a number of seconds, and {problem.Replace("must be", "not", StringComparison.Ordinal)}");
    }

    private static KeyValuePair<string, string> Pair(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && equals < text.Length - 1
            ? new(text[..equals].Trim(), text[(equals + 1)..].Trim())
            : throw new ArgumentException($"--initial-image '{text}' must be TYPE=NAME");
    }

    private static string? Token(string? value, CliConsole console)
    {
        if (value is null || !value.StartsWith("env:", StringComparison.Ordinal))
        {
            return value;
        }

        return console.Environment(value[4..]) is { Length: > 0 } token ? token : throw new ArgumentException($"--preauthorize-with-token: the environment variable {value[4..]} is not set");
    }

    private static Option<string?> Duration(string name, string description, string? defaultValue) => new(name)
    {
        Description = description + " Seconds, or 30s, 5m, 1h.",
        DefaultValueFactory = _ => defaultValue,
        HelpName = "S",
    };

    private static Option<double> Rate(string name, string description) => new(name) { Description = description + " 0 to 1.", HelpName = "P" };
}
