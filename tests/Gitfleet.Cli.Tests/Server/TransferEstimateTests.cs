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
        foreach (var (name, release) in new[] { ("image-1", 0), ("image-2", 1) })
        {
            var image = await OsImages.WriteImageAsync(work.Path, name, release);
            (await TestServer.UploadAsync(cli.Harness.Admin, await OsImages.WriteArtifactAsync(work.Path, name, "raspberrypi4", image))).EnsureSuccessStatusCode();
        }

        using var withDelta = await cli.Harness.DeviceAsync(appliesDeltas: true);
        using var withoutDelta = await cli.Harness.DeviceAsync();
        using (var prepared = await cli.Harness.Admin.PostAsJsonAsync("/api/management/v1/gitfleet/deltas", new { from = "image-1", to = "image-2", device_type = "raspberrypi4" }))
        {
            prepared.StatusCode.ShouldBe(HttpStatusCode.Accepted, await prepared.Content.ReadAsStringAsync());
        }

        var delta = await ReadyDeltaAsync(cli.Harness.Admin);
        var full = (await cli.Harness.Admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts")).EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "image-2").GetProperty("size").GetInt64();
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
