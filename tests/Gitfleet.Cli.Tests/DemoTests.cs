using Gitfleet.Git;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests;

/// <summary>The README's first command, run to completion without a terminal, interrupted, and run again.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_walks_a_release_through_every_stage_stops_cleanly_on_ctrl_c_and_runs_again()
    {
        using var directory = new TempDirectory();
        string[] args = ["demo", "--dir", "demo", "--devices", "40", "--poll-interval", "1", "--exit"];

        using (var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(8)))
        {
            var stopped = await CliRunner.RunAsync(directory.Path, null, interrupt.Token, args);
            stopped.ExitCode.ShouldBe(ExitCodes.Interrupted, stopped.Stdout + stopped.Stderr);
            stopped.Stderr.ShouldContain("demo stopped");
            stopped.Stderr.ShouldNotContain("   at ");
        }

        var result = await CliRunner.RunAsync(directory.Path, null, args);
        result.ExitCode.ShouldBe(ExitCodes.Ok, result.Stdout + result.Stderr);
        var output = result.Stdout;
        output.ShouldContain("1. Every stage converges");
        output.ShouldContain("2. A commit to main");
        output.ShouldContain("3. Merge main into canary");
        output.ShouldContain("gate passed");
        output.ShouldContain("5. Merge canary into production");
        output.ShouldContain("wave 2/3", Case.Sensitive, "production rolls out in waves");
        output.ShouldContain("/metrics");
        output.ShouldNotContain("sample-influxdb-token", Case.Sensitive, "secrets never print");

        // Every stage ended on its commit: main on the release, canary and production on their merges.
        var fleet = Path.Combine(directory.Path, "demo", "fleet");
        var heads = new Dictionary<string, string>();
        foreach (var branch in new[] { "main", "canary", "production" })
        {
            heads[branch] = (await GitCli.RunAsync(fleet, ["rev-parse", branch], CancellationToken.None)).Trim();
        }

        (await GitCli.RunAsync(fleet, ["log", "-1", "--format=%s", "production"], CancellationToken.None)).Trim().ShouldBe("Merge branch 'canary' into production");
        var table = output[output.IndexOf("Where the fleet stands", StringComparison.Ordinal)..];
        table.ShouldContain($"│ main       │ {heads["main"][..12]} │ Ready");
        table.ShouldContain($"│ canary     │ {heads["canary"][..12]} │ Ready");
        table.ShouldContain($"│ production │ {heads["production"][..12]}");
        table.ShouldContain("3/3");
        table.ShouldContain("7/7");
        table.ShouldContain("33/36", Case.Sensitive, "three legacy devices fail the new image's health check");
        table.ShouldContain("rolled back");
    }

    /// <summary>
    /// ./demo.sh --replicas N's two steps: --fleet-only writes the fleet repository the replicas start watching, and
    /// --server drives them through HAProxy; misuse is a clear error without a stack trace.
    /// </summary>
    [Fact]
    public async Task The_demo_writes_only_the_fleet_for_replicas_and_refuses_servers_it_cannot_reach_or_trust()
    {
        using var directory = new TempDirectory();
        var fleet = Path.Combine(directory.Path, "demo", "fleet");

        var missing = await CliRunner.RunAsync(directory.Path, new Dictionary<string, string> { ["GITFLEET_TOKEN"] = "t0123456789" },
            "demo", "--dir", "demo", "--server", "https://127.0.0.1:1", "--ca-cert", "none.pem", "--exit");
        missing.ExitCode.ShouldBe(ExitCodes.Error, missing.Stdout + missing.Stderr);
        missing.Stderr.ShouldContain("holds no fleet repository");
        missing.Stderr.ShouldContain("--fleet-only");

        var written = await CliRunner.RunAsync(directory.Path, null, "demo", "--dir", "demo", "--fleet-only");
        written.ExitCode.ShouldBe(ExitCodes.Ok, written.Stdout + written.Stderr);
        var main = (await GitCli.RunAsync(fleet, ["rev-parse", "main"], CancellationToken.None)).Trim();
        written.Stdout.ShouldContain(main[..12]);
        (await GitCli.RunAsync(fleet, ["rev-parse", "production"], CancellationToken.None)).Trim().ShouldBe(main, "every stage starts on the first commit");
        Directory.Exists(Path.Combine(directory.Path, "demo", "server")).ShouldBeFalse("no server was started");

        foreach (var (environment, args, message) in new (Dictionary<string, string>?, string[], string)[]
        {
            (null, ["--server", "https://127.0.0.1:1", "--ca-cert", "c.pem"], "$GITFLEET_TOKEN"),
            (new() { ["GITFLEET_TOKEN"] = "t0123456789" }, ["--server", "https://127.0.0.1:1"], "--ca-cert"),
            (new() { ["GITFLEET_TOKEN"] = "t0123456789" }, ["--server", "ftp://127.0.0.1:1", "--ca-cert", "c.pem"], "https://"),
            (new() { ["GITFLEET_TOKEN"] = "t0123456789" }, ["--server", "https://127.0.0.1:1", "--ca-cert", "c.pem", "--fleet-only"], "--fleet-only"),
        })
        {
            var refused = await CliRunner.RunAsync(directory.Path, environment, ["demo", "--dir", "demo", .. args]);
            refused.ExitCode.ShouldBe(ExitCodes.Error, string.Join(' ', args));
            refused.Stderr.ShouldContain(message);
            refused.Stderr.ShouldNotContain("   at ");
        }

        (await GitCli.RunAsync(fleet, ["rev-parse", "main"], CancellationToken.None)).Trim().ShouldBe(main, "a refused run leaves the fleet repository alone");
    }
}
