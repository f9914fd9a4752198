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
}
