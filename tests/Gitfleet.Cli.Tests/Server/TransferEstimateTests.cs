using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Delivery;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>`plan --server` and `apply --mode dry-run` show the bytes each wave moves over the air, delta-aware, with budget warnings.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TransferEstimateTests
{
    [Fact]
    public async Task The_plan_counts_the_delta_for_a_device_that_applies_it_and_the_full_image_for_the_other()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var work = new TempDirectory("gitfleet-transfer");
        using var withDelta = await cli.Harness.DeviceAsync(appliesDeltas: true);
        using var withoutDelta = await cli.Harness.DeviceAsync();
        var (delta, full) = await ReleasesWithDeltaAsync(cli, work);
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [withDelta, withoutDelta] }, "image-2",
            settings: "branches:\n  main:\n    rollout:\n      waves: [50%, 100%]\n      byteBudget:\n        warnAbove: 100kB\n");
        cli.Harness.Repository.Commit("Release image 2");

        var plan = await cli.RunAsync("plan", "--repo", cli.RepositoryPath, "--branch", "main", "--json");

        plan.ExitCode.ShouldBe(ExitCodes.ChangesPlanned, plan.Stderr);
        var transfer = JsonDocument.Parse(plan.Stdout).RootElement.GetProperty("transfer");
        transfer.GetProperty("total_bytes").GetInt64().ShouldBe(delta + full);
        transfer.GetProperty("full_image_bytes").GetInt64().ShouldBe(2 * full);
        var groups = transfer.GetProperty("waves").EnumerateArray().SelectMany(w => w.GetProperty("groups").EnumerateArray()).ToList();
        groups.Select(g => g.GetProperty("method").GetString()).Order(StringComparer.Ordinal).ShouldBe(["delta", "full"]);
        groups.Single(g => g.GetProperty("method").GetString() == "delta").GetProperty("bytes_each").GetInt64().ShouldBe(delta);
        groups.Single(g => g.GetProperty("method").GetString() == "full").GetProperty("note").GetString().ShouldBe("the device does not apply deltas");
        transfer.GetProperty("waves").GetArrayLength().ShouldBe(2, "50% then 100%: one device per wave");
        JsonDocument.Parse(plan.Stdout).RootElement.GetProperty("transfer_warnings").EnumerateArray()
            .ShouldContain(w => w.GetString()!.Contains("more than the byte budget's warnAbove of 100 kB", StringComparison.Ordinal));

        var dryRun = await cli.ApplyAsync("main");
        dryRun.ExitCode.ShouldBe(ExitCodes.ChangesPlanned, dryRun.Stderr);
        dryRun.Stdout.ShouldContain("Over the air");
        dryRun.Stdout.ShouldContain("delta");
        dryRun.Stdout.ShouldContain("the device does not apply deltas");
        dryRun.Stdout.ShouldContain("warning: this change moves");

        var validate = await cli.RunAsync("validate", "--repo", cli.RepositoryPath, "--branch", "main");
        validate.ExitCode.ShouldBe(ExitCodes.Ok, validate.Stdout + validate.Stderr);
        validate.Stdout.ShouldContain("warning: branch 'main': this change moves");
        validate.Stdout.ShouldContain("[byte-budget]");
        (await cli.RunAsync("validate", "--repo", cli.RepositoryPath, "--branch", "main", "--strict")).ExitCode.ShouldBe(ExitCodes.Error, "--strict fails on the budget warning");
    }

    [Fact]
    public async Task The_status_shows_per_wave_the_bytes_the_rollout_moves_and_how_many_moved_already()
    {
        await using var cli = await CliAgainstServer.StartAsync();
        using var work = new TempDirectory("gitfleet-transfer-status");
        using var first = await cli.Harness.DeviceAsync(appliesDeltas: true);
        using var second = await cli.Harness.DeviceAsync();
        var (delta, full) = await ReleasesWithDeltaAsync(cli, work);
        cli.Harness.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [first, second] }, "image-2",
            settings: "branches:\n  main:\n    rollout:\n      waves: [50%, 100%]\n");
        cli.Harness.Repository.Commit("Release image 2");
        (await cli.ApplyAsync("main", "--mode", "run")).ExitCode.ShouldBe(ExitCodes.Ok);
        await cli.RunEngineAsync();

        var started = Transfer(await cli.RunAsync("status", "--branch", "main", "--json"));
        started.GetProperty("total_bytes").GetInt64().ShouldBe(delta + full, "the server knows which device applies deltas");
        started.GetProperty("moved_bytes").GetInt64().ShouldBe(0);
        started.GetProperty("to_move_bytes").GetInt64().ShouldBe(delta + full, "nothing downloaded yet");
        var waves = started.GetProperty("waves").EnumerateArray().ToList();
        waves.Select(w => w.GetProperty("devices").GetInt32()).ShouldBe([1, 1], "50% then 100%: one device per wave");
        waves.Select(w => w.GetProperty("bytes").GetInt64()).Order().ShouldBe(new[] { delta, full }.Order());
        var groups = waves.SelectMany(w => w.GetProperty("groups").EnumerateArray()).ToList();
        groups.ShouldAllBe(g => g.GetProperty("from").GetString() == "image-1" && g.GetProperty("to").GetString() == "image-2");
        groups.Single(g => g.GetProperty("method").GetString() == "delta").GetProperty("bytes_each").GetInt64().ShouldBe(delta);
        var fullGroup = groups.Single(g => g.GetProperty("method").GetString() == "full");
        fullGroup.GetProperty("bytes_each").GetInt64().ShouldBe(full);
        fullGroup.GetProperty("note").GetString().ShouldBe("the device does not apply deltas");
        var text = await cli.RunAsync("status", "--branch", "main");
        text.Stdout.ShouldContain("Over the air, this rollout");
        text.Stdout.ShouldContain("To move");
        text.Stdout.ShouldContain("Moved: 0 B; to move: ");

        await cli.SettleAsync(first, second);

        var done = Transfer(await cli.RunAsync("status", "--branch", "main", "--json"));
        done.GetProperty("moved_bytes").GetInt64().ShouldBe(delta + full, "both devices updated: their bytes moved");
        done.GetProperty("to_move_bytes").GetInt64().ShouldBe(0);
        done.GetProperty("waves").EnumerateArray().SelectMany(w => w.GetProperty("groups").EnumerateArray())
            .ShouldAllBe(g => g.GetProperty("from").GetString() == "image-1", "a device that finished still counts from the image it ran before");
    }

    private static JsonElement Transfer(CliResult status)
    {
        var statuses = JsonDocument.Parse(status.Stdout).RootElement;
        return statuses.EnumerateArray().Single().GetProperty("rollout").GetProperty("transfer");
    }

    /// <summary>Uploads image-1 and image-2 and generates the delta between them; returns the delta's and image-2's sizes.</summary>
    private static async Task<(long Delta, long Full)> ReleasesWithDeltaAsync(CliAgainstServer cli, TempDirectory work)
    {
        foreach (var (name, release) in new[] { ("image-1", 0), ("image-2", 1) })
        {
            var image = await OsImages.WriteImageAsync(work.Path, name, release);
            (await TestServer.UploadAsync(cli.Harness.Admin, await OsImages.WriteArtifactAsync(work.Path, name, "raspberrypi4", image))).EnsureSuccessStatusCode();
        }

        using (var prepared = await cli.Harness.Admin.PostAsJsonAsync("/api/management/v1/gitfleet/deltas", new { from = "image-1", to = "image-2", device_type = "raspberrypi4" }))
        {
            prepared.StatusCode.ShouldBe(HttpStatusCode.Accepted, await prepared.Content.ReadAsStringAsync());
        }

        var delta = await ReadyDeltaAsync(cli.Harness.Admin);
        var full = (await cli.Harness.Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts")).EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "image-2").GetProperty("size").GetInt64();
        return (delta, full);
    }

    private static async Task<long> ReadyDeltaAsync(HttpClient admin)
    {
        for (var i = 0; i < 600; i++)
        {
            var deltas = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/deltas");
            if (deltas.GetArrayLength() == 1 && deltas[0].GetProperty("state").GetString() == "ready")
            {
                return deltas[0].GetProperty("size").GetInt64();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the delta was not generated within a minute");
    }
}
