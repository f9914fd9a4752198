using System.Text.Json;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>`gitfleet revert` against a real server and repository: the failing devices and reasons land in the commit message.</summary>
public sealed class RevertCommandTests
{
    [Fact]
    public async Task The_commit_the_server_rolls_out_is_reverted_on_a_new_branch_naming_the_failed_devices()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var healthy = await cli.Harness.DeviceAsync();
        using var broken = await cli.Harness.DeviceAsync();
        broken.Fails = name => name == "image-2";
        await cli.Harness.UploadImageAsync("image-2");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["canary"] = [healthy, broken] }, "image-1");
        var good = cli.Harness.Repository.Commit("Canary: image 1");
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["canary"] = [healthy, broken] }, "image-2");
        var bad = cli.Harness.Repository.Commit("Canary: image 2");
        cli.Promote("canary");
        (await cli.ApplyAsync("canary", "--mode", "run")).ExitCode.ShouldBe(ExitCodes.Ok);
        await cli.SettleAsync(healthy, broken);
        var canaryBefore = cli.Harness.Repository.Head("canary");

        var revert = await cli.RunAsync("revert", "--branch", "canary", "--repo", cli.RepositoryPath, "--json");

        revert.ExitCode.ShouldBe(ExitCodes.Ok, revert.Stdout + revert.Stderr);
        var prepared = JsonDocument.Parse(revert.Stdout).RootElement;
        var branch = prepared.GetProperty("branch").GetString()!;
        branch.ShouldBe("revert/canary-" + bad[..12]);
        prepared.GetProperty("reverted").GetString().ShouldBe(bad);
        var repository = cli.Harness.Repository;
        repository.Head("canary").ShouldBe(canaryBefore, "the stage branch is never changed");
        repository.Git("show", $"{branch}:group_vars/all.yml").ShouldBe(repository.Git("show", $"{good}:group_vars/all.yml"));
        var message = repository.Git("log", "-1", "--format=%B", branch);
        message.ShouldContain("Failed devices (1 of 2):");
        message.ShouldContain($"- {broken.Id}: ");
        message.ShouldContain("kiosk did not start");
        message.ShouldNotContain(healthy.Id);

        var again = await cli.RunAsync("revert", "--branch", "canary", "--repo", cli.RepositoryPath);
        again.ExitCode.ShouldBe(ExitCodes.Error);
        again.Stderr.ShouldContain($"branch '{branch}' exists already; choose another with --new-branch");
    }
}
