using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>`status`, `gate` and `rollout` on a stage where something goes wrong.</summary>
public sealed class StageCommandsTests
{
    [Fact]
    public async Task A_failure_on_canary_fails_status_and_the_gate_with_the_device_and_its_reason()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var healthy = await cli.Harness.DeviceAsync();
        using var broken = await cli.Harness.DeviceAsync();
        broken.Fails = name => name == "image-2";
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["canary"] = [healthy, broken] }, "image-2");
        var commit = cli.Harness.Repository.Commit("Canary: image 2");
        cli.Promote("canary");
        (await cli.ApplyAsync("canary", "--mode", "run")).ExitCode.ShouldBe(ExitCodes.Ok);
        await cli.SettleAsync(healthy, broken);

        var status = await cli.RunAsync("status", "--branch", "canary");
        status.ExitCode.ShouldBe(ExitCodes.Error, status.Stdout + status.Stderr);
        status.Stdout.ShouldContain(broken.Id);
        status.Stdout.ShouldContain("kiosk did not start");
        status.Stdout.ShouldNotContain(healthy.Id, Case.Sensitive, "only the failing devices are listed");

        var gate = await cli.RunAsync("gate", "--branch", "canary", "--commit", commit);
        gate.ExitCode.ShouldBe(ExitCodes.Error, gate.Stdout + gate.Stderr);
        gate.Stdout.ShouldContain("fail", Case.Insensitive);

        var lenient = await cli.RunAsync("gate", "--branch", "canary", "--commit", commit, "--min-success", "50%");
        lenient.ExitCode.ShouldBe(ExitCodes.Ok, "half of two devices converged: " + lenient.Stdout + lenient.Stderr);
    }

    [Fact]
    public async Task A_rollout_paused_from_the_cli_schedules_nothing_until_it_is_resumed()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var device = await cli.Harness.DeviceAsync();
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["production"] = [device] }, "image-2");
        cli.Harness.Repository.Commit("Production: image 2");
        cli.Promote("production");

        (await cli.ApplyAsync("production", "--mode", "run")).ExitCode.ShouldBe(ExitCodes.Ok);
        var pause = await cli.RunAsync("rollout", "pause", "--branch", "production");
        pause.ExitCode.ShouldBe(ExitCodes.Ok, pause.Stdout + pause.Stderr);
        await cli.RunEngineAsync();
        (await device.CheckInAsync()).ShouldBeNull("a paused rollout offers nothing");
        var paused = (await cli.RunAsync("status", "--branch", "production")).Stdout;
        paused.ShouldContain("paused", Case.Insensitive);
        paused.ShouldContain("waiting: 1 device: rollout paused: paused by an operator", Case.Sensitive, "each waiting device says why");

        var resume = await cli.RunAsync("rollout", "resume", "--branch", "production");
        resume.ExitCode.ShouldBe(ExitCodes.Ok, resume.Stdout + resume.Stderr);
        await cli.SettleAsync(device);
        device.Image.ShouldBe("image-2");
        (await cli.RunAsync("status", "--branch", "production")).ExitCode.ShouldBe(ExitCodes.Ok);

        var unknown = await cli.RunAsync("rollout", "pause", "--branch", "nosuchbranch");
        unknown.ExitCode.ShouldBe(ExitCodes.Error);
        unknown.Stderr.ShouldContain("nosuchbranch");
    }
}
