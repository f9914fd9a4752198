using System.Net;
using System.Text.Json;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests.Hostile;

/// <summary>
/// Issue 10, items 1 and 2, against the real server process watching a real repository: commits that used to end the
/// server with a stack overflow (after every restart) or grow it past 5 GB are each Stalled with a diagnostic, the
/// last good target keeps being served, the process keeps running (through a restart too) and stays small.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostileCommitProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long MemoryBound = 1536L * 1024 * 1024;

    [Fact]
    public async Task No_commit_can_end_the_server_or_grow_it_without_bound()
    {
        using var repository = new GitTestRepository();
        await using var server = await ServerProcess.StartWatchingAsync(repository);
        using var device = await server.AcceptedDeviceAsync();
        repository.Write("inventory.yml", $"all:\n  children:\n    main_devices:\n      vars:\n        subscribed_branch: main\n        device_type: raspberrypi4\n      hosts:\n        {device.Id}:\n");
        repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: release-1\n");
        var good = repository.Commit("One device on main");
        await server.WaitForBranchAsync("main", s => Applied(s) == good);

        var hostile = new (string What, string File, string Content, string Code)[]
        {
            ("a self-referencing alias", "group_vars/main_devices.yml", HostileInput.SelfAlias, "[yaml-alias]"),
            ("a file nested 100,000 levels deep", $"host_vars/{device.Id}.yml", HostileInput.Deep(), "[yaml-depth]"),
            ("an alias bomb under 1 KB", "overlays/bomb.yml", HostileInput.Bomb(), "[yaml-nodes]"),
            ("a template whose loops multiply", "templates/app.json", HostileInput.LoopingTemplate, "[template-limit]"),
        };
        string? last = null;
        foreach (var (what, file, content, code) in hostile)
        {
            repository.Write(file, content);
            if (file.StartsWith("templates/", StringComparison.Ordinal))
            {
                repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: release-1\n"
                    + "configuration:\n  template: app.json\n" + HostileInput.TwoThousandItems);
            }

            last = repository.Commit("Hostile: " + what);
            var status = await server.WaitForBranchAsync("main", s => s.GetProperty("last_seen_commit").GetString() == last && ServerProcess.Condition(s, "Stalled"));
            Applied(status).ShouldBe(good, $"after {what}, the last good target is still served");
            status.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ShouldContain(e => e!.StartsWith(file, StringComparison.Ordinal) && e.Contains(code, StringComparison.Ordinal), what);
            server.ShouldBeRunning($"after {what}");
            using var next = await device.NextAsync();
            ((int)next.StatusCode).ShouldBeLessThan(500, $"the device is served after {what}");
        }

        var peakBefore = server.PeakResidentBytes();
        output.WriteLine($"peak resident size of the server process through the four hostile commits: {peakBefore / 1024 / 1024} MiB");
        peakBefore.ShouldBeLessThan(MemoryBound, "the node and output limits bound what a commit can cost");

        // The server used to die again after every restart: it reads the same commit again and stays up.
        await server.RestartAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var again = await server.WaitForBranchAsync("main", s => s.GetProperty("last_seen_commit").GetString() == last && ServerProcess.Condition(s, "Stalled"));
        Applied(again).ShouldBe(good);
        server.ShouldBeRunning("after a restart on the hostile commit");
        var peak = server.PeakResidentBytes();
        output.WriteLine($"peak resident size of the restarted server process reading the hostile commit again: {peak / 1024 / 1024} MiB");
        peak.ShouldBeLessThan(MemoryBound, "the node and output limits bound what a commit can cost");

        foreach (var (_, file, _, _) in hostile)
        {
            repository.Delete(file);
        }

        repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: release-1\n");
        var fixedCommit = repository.Commit("Revert the hostile files");
        var recovered = await server.WaitForBranchAsync("main", s => Applied(s) == fixedCommit);
        ServerProcess.Condition(recovered, "Stalled").ShouldBeFalse();
        server.Output.ShouldNotContain("Stack overflow");
        server.Output.ShouldNotContain("Unhandled error");
    }

    private static string? Applied(JsonElement status) =>
        status.TryGetProperty("applied_commit", out var applied) ? applied.GetProperty("sha").GetString() : null;
}
