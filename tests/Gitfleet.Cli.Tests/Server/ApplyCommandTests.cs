using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>`gitfleet apply` as the seeds' CI job: dry-run by default, idempotent, traced, on both protocols.</summary>
public sealed class ApplyCommandTests
{
    [Fact]
    public async Task A_dry_run_schedules_nothing_a_run_submits_the_target_and_a_second_run_is_a_no_op()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var mainDevice = await cli.Harness.DeviceAsync();
        using var canaryDevice = await cli.Harness.DeviceAsync();
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [mainDevice], ["canary"] = [canaryDevice] }, "image-2");
        var commit = cli.Harness.Repository.Commit("Kiosks: image 2");

        var dryRun = await cli.ApplyAsync("main");
        dryRun.ExitCode.ShouldBe(ExitCodes.ChangesPlanned, dryRun.Stdout + dryRun.Stderr);
        dryRun.Stdout.ShouldContain("image-2");
        dryRun.Stdout.ShouldContain("Dry run");
        dryRun.Stdout.ShouldNotContain(ReconcileHarness.AppToken, Case.Sensitive, "secrets print as ***");
        await cli.RunEngineAsync();
        (await cli.Harness.DeploymentsAsync()).ShouldBeEmpty();

        var run = await cli.ApplyAsync("main", "--mode", "run");
        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Stdout + run.Stderr);
        run.Stdout.ShouldContain("Submitted main at " + commit[..12]);
        await cli.RunEngineAsync();
        (await cli.DeploymentsOfAsync(mainDevice)).ShouldNotBeEmpty();
        (await cli.DeploymentsOfAsync(canaryDevice)).ShouldBeEmpty("only devices subscribed to main change");
        var scheduled = (await cli.Harness.DeploymentsAsync()).Count;

        var again = await cli.ApplyAsync("main", "--mode", "run", "--json");
        again.ExitCode.ShouldBe(ExitCodes.Ok, again.Stderr);
        JsonDocument.Parse(again.Stdout).RootElement.GetProperty("submission").GetProperty("unchanged").GetBoolean().ShouldBeTrue();
        await cli.RunEngineAsync();
        (await cli.Harness.DeploymentsAsync()).Count.ShouldBe(scheduled, "a second apply schedules nothing");
    }

    [Fact]
    public async Task Status_gate_and_history_follow_the_rollout_to_the_commit_that_made_it()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var device = await cli.Harness.DeviceAsync();
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] }, "image-2");
        var commit = cli.Harness.Repository.Commit("Kiosks: image 2");
        (await cli.ApplyAsync("main", "--mode", "run")).ExitCode.ShouldBe(ExitCodes.Ok);
        await cli.RunEngineAsync();

        var pending = await cli.RunAsync("status", "--branch", "main");
        pending.ExitCode.ShouldBe(ExitCodes.ChangesPlanned, "in flight is not yet converged: " + pending.Stdout + pending.Stderr);
        (await cli.RunAsync("gate", "--branch", "main", "--commit", commit)).ExitCode.ShouldBe(ExitCodes.Error);

        await cli.SettleAsync(device);
        device.Image.ShouldBe("image-2");
        device.Configuration.ShouldNotBeNull()["message"].ShouldBe("hello");

        var status = await cli.RunAsync("status", "--branch", "main", "--commit", commit[..10], "--json");
        status.ExitCode.ShouldBe(ExitCodes.Ok, status.Stdout + status.Stderr);
        status.Stdout.ShouldContain(commit);
        var gate = await cli.RunAsync("gate", "--branch", "main", "--commit", commit);
        gate.ExitCode.ShouldBe(ExitCodes.Ok, gate.Stdout + gate.Stderr);

        var history = await cli.RunAsync("history", device.Id, "--json");
        history.ExitCode.ShouldBe(ExitCodes.Ok, history.Stderr);
        var entries = JsonDocument.Parse(history.Stdout).RootElement.EnumerateArray().ToList();
        entries.ShouldNotBeEmpty();
        entries.ShouldAllBe(e => e.GetProperty("trace").GetProperty("commit").GetString() == commit);
        entries.ShouldContain(e => e.GetProperty("image").GetString() == "image-2");
        entries.ShouldAllBe(e => e.GetProperty("trace").GetProperty("subject").GetString() == "Kiosks: image 2");
        history.Stdout.ShouldNotContain(ReconcileHarness.AppToken, Case.Sensitive, "the configuration's secret shows as ***");

        var table = await cli.RunAsync("history", device.Id);
        table.ExitCode.ShouldBe(ExitCodes.Ok);
        table.Stdout.ShouldContain(commit[..12]);
        (await cli.RunAsync("history", "00000000-0000-4000-8000-000000000000")).ExitCode.ShouldBe(ExitCodes.Error);
    }

    [Fact]
    public async Task Over_the_mender_api_a_run_schedules_each_change_once_even_when_two_runs_race()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var first = await cli.Harness.DeviceAsync();
        using var second = await cli.Harness.DeviceAsync();
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["canary"] = [first, second] }, "image-2");
        var commit = cli.Harness.Repository.Commit("Canary: image 2");
        cli.Promote("canary");

        var runs = await Task.WhenAll(
            cli.ApplyAsync("canary", "--mode", "run", "--protocol", "mender"),
            cli.ApplyAsync("canary", "--mode", "run", "--protocol", "mender"));
        runs.ShouldAllBe(r => r.ExitCode == ExitCodes.Ok, string.Join("\n", runs.Select(r => r.Stdout + r.Stderr)));
        var deployments = await cli.Harness.DeploymentsAsync();
        var byDevice = new[] { first, second }.ToDictionary(d => d.Id, _ => 0);
        foreach (var device in new[] { first, second })
        {
            byDevice[device.Id] = (await cli.DeploymentsOfAsync(device)).Count(name => name == "image-2");
        }

        byDevice.Values.ShouldAllBe(count => count == 1, "each device gets its OS deployment once: " + string.Join(", ", byDevice));
        var history = await cli.RunAsync("history", first.Id, "--json");
        JsonDocument.Parse(history.Stdout).RootElement.EnumerateArray()
            .ShouldAllBe(e => e.GetProperty("trace").GetProperty("commit").GetString() == commit, "the Mender path records the trace too");

        var again = await cli.ApplyAsync("canary", "--mode", "run", "--protocol", "mender");
        again.ExitCode.ShouldBe(ExitCodes.Ok, again.Stdout + again.Stderr);
        again.Stdout.ShouldContain("Scheduled: 0 OS updates, 0 configurations");
        (await cli.Harness.DeploymentsAsync()).Count.ShouldBe(deployments.Count, "a second apply is a no-op");
    }

    [Fact]
    public async Task A_missing_artifact_fails_its_devices_with_a_clear_error_and_the_others_proceed()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var kiosk = await cli.Harness.DeviceAsync("raspberrypi4", "image-1");
        using var gateway = await cli.Harness.DeviceAsync("imx8-gateway", "gw-1");
        await cli.Harness.UploadImageAsync("gw-2", "imx8-gateway");
        cli.Harness.Repository.Write("inventory.yml", $"all:\n  children:\n    main_devices:\n      vars:\n        subscribed_branch: main\n      hosts:\n        {kiosk.Id}:\n        {gateway.Id}:\n");
        cli.Harness.Repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: image-3\n  - device_type: imx8-gateway\n    image_name: gw-2\n");
        cli.Harness.Repository.Commit("Images 3 and gw-2");

        var mender = await cli.ApplyAsync("main", "--mode", "run", "--protocol", "mender");
        mender.ExitCode.ShouldBe(ExitCodes.Error, mender.Stdout + mender.Stderr);
        mender.Stdout.ShouldContain("artifact 'image-3' is not on the server");
        mender.Stdout.ShouldContain(kiosk.Id);
        mender.Stdout.ShouldNotContain("Exception");
        (await cli.DeploymentsOfAsync(gateway)).ShouldBe(["gw-2"], "the gateway proceeds");
        (await cli.DeploymentsOfAsync(kiosk)).ShouldBeEmpty();
    }
}
