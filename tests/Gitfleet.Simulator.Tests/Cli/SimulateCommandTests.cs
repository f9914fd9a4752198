using System.Text.Json;
using Gitfleet.Cli;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Cli;

public sealed class SimulateCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new CliConsole(stdout, stderr, interactive: false, name => environment?.GetValueOrDefault(name), Directory.GetCurrentDirectory());
        var exit = await GitfleetCli.RunAsync(["simulate", .. args], console, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Simulate_runs_devices_for_the_given_time_and_reports_the_counters_as_json()
    {
        var (exit, stdout, stderr) = await RunAsync(new Dictionary<string, string> { ["SIM_TOKEN"] = ServerFixture.AdminToken },
            "--server", server.Server.BaseUri.ToString(), "--ca-cert", server.Server.CertificatePath!, "--devices", "5", "--device-types", "pi3-arm64,pi4-v3-arm64",
            "--identity-prefix", "cli", "--preauthorize-with-token", "env:SIM_TOKEN", "--duration", "4", "--summary-interval", "1", "--json");

        exit.ShouldBe(0, stderr);
        stderr.ShouldContain("simulating 5 devices");
        stderr.ShouldContain("devices 5:");
        stderr.ShouldNotContain(ServerFixture.AdminToken);
        using var json = JsonDocument.Parse(stdout);
        json.RootElement.GetProperty("devices").GetInt32().ShouldBe(5);
        json.RootElement.GetProperty("events").GetProperty("preauthorized").GetInt64().ShouldBe(5);
        json.RootElement.GetProperty("events").GetProperty("authorized").GetInt64().ShouldBe(5);
        json.RootElement.GetProperty("devices_by_state").GetProperty("idle").GetInt64().ShouldBe(5);
        json.RootElement.GetProperty("check_in_latency_ms").GetProperty("count").GetInt64().ShouldBeGreaterThanOrEqualTo(5);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Simulate_stopped_by_a_signal_still_prints_its_summary_and_json(string signal)
    {
        // Issue 10, item 10: the real process, as bench/rollout.sh stops it (SIGTERM used to end it without a summary).
        using var process = new Gitfleet.TestSupport.Device.BackgroundProcess("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "gitfleet.dll"), "simulate", "--server", server.Server.BaseUri.ToString(), "--ca-cert", server.Server.CertificatePath!,
                "--devices", "3", "--identity-prefix", "signal-" + signal.ToLowerInvariant(), "--preauthorize-with-token", "env:SIM_TOKEN", "--json"],
            new Dictionary<string, string?> { ["SIM_TOKEN"] = ServerFixture.AdminToken });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!process.Output.Contains("simulating 3 devices", StringComparison.Ordinal) && !process.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Thread.Sleep(2000);
        process.Signal(signal);
        process.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue(process.Tail());
        process.ExitCode.ShouldBe(130, process.Tail());
        var output = process.Output;
        output.ShouldContain("devices 3:");
        var json = output[output.IndexOf("{\n", StringComparison.Ordinal)..(output.LastIndexOf('}') + 1)];
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("devices").GetInt32().ShouldBe(3);
    }

    [Theory]
    [InlineData("the failure rate must be between 0 and 1", "--failure-rate", "2")]
    [InlineData("index '9-1' in 'x@index=9-1' must be N or N-M with N <= M", "--fail-image", "x@index=9-1")]
    [InlineData("--initial-image 'pi4' must be TYPE=NAME", "--initial-image", "pi4")]
    [InlineData("--offline-for: 'soon' is not a number of seconds", "--offline-for", "soon")]
    [InlineData("the environment variable NOPE is not set", "--preauthorize-with-token", "env:NOPE")]
    [InlineData("the poll interval must be positive", "--poll-interval", "0")]
    [InlineData("give either a CA certificate or insecure, not both", "--insecure", "--ca-cert", "x.pem")]
    public async Task Bad_options_are_refused_with_a_message(string message, params string[] options)
    {
        var (exit, _, stderr) = await RunAsync(null, ["--server", "https://127.0.0.1:1", .. options]);
        exit.ShouldBe(1);
        stderr.ShouldStartWith("error: ");
        stderr.ShouldContain(message);
    }
}
