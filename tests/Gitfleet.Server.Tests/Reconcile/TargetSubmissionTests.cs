using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Reconcile;
using Gitfleet.Git;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>The CI path: a target built from git (as `gitfleet apply` builds it) POSTed to the server.</summary>
public sealed class TargetSubmissionTests : IAsyncLifetime
{
    private const string TargetPath = "/api/management/v1/gitfleet/branches/main/target";
    private ReconcileHarness fleet = null!;

    public async Task InitializeAsync() => fleet = await ReconcileHarness.StartAsync(o => o with { FleetRepository = null, FleetBranches = [] });

    public async Task DisposeAsync() => await fleet.DisposeAsync();

    [Fact]
    public async Task The_same_target_again_is_unchanged_and_concurrent_submissions_create_each_deployment_once()
    {
        var devices = new List<FleetDevice> { await fleet.DeviceAsync(), await fleet.DeviceAsync(), await fleet.DeviceAsync() };
        await fleet.UploadImageAsync("image-2");
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = devices }, "image-2");
        var commit = fleet.Repository.Commit("image-2 on main");
        var target = await BuildTargetAsync("main");

        var answers = await Task.WhenAll(SubmitAsync(target), SubmitAsync(target, gzip: true), SubmitAsync(target));
        answers.Count(a => !a.GetProperty("unchanged").GetBoolean()).ShouldBe(1, "one submission stores the target, the others find it unchanged");
        answers.ShouldAllBe(a => a.GetProperty("commit").GetString() == commit && a.GetProperty("branch").GetString() == "main");
        await Task.WhenAll(fleet.RunAsync(), fleet.RunAsync(), fleet.RunAsync());

        var deployments = await fleet.DeploymentsAsync();
        deployments.Count.ShouldBe(2, "one OS deployment for the image, one for the configuration");
        deployments.ShouldAllBe(d => d.GetProperty("device_count").GetInt32() == 3);
        deployments.ShouldAllBe(d => d.GetProperty("trace").GetProperty("commit").GetString() == commit);
        var facts = FactsDocument.Parse(await fleet.Admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts"));
        facts.Devices.ShouldAllBe(d => d.InFlight.Count == 2);

        (await SubmitAsync(target)).GetProperty("unchanged").GetBoolean().ShouldBeTrue();
        await fleet.RunAsync();
        (await fleet.DeploymentsAsync()).Count.ShouldBe(2, "a second apply schedules nothing");
        foreach (var device in devices)
        {
            (await device.ConvergeAsync()).Count.ShouldBe(2);
            device.Dispose();
        }

        await fleet.RunAsync();
        (await fleet.StatusAsync("main")).Devices.Converged.ShouldBe(3);
    }

    [Fact]
    public async Task Malformed_targets_are_refused_with_a_reason_and_store_nothing()
    {
        using var device = await fleet.DeviceAsync();
        fleet.WriteFleet(new Dictionary<string, IEnumerable<FleetDevice>> { ["main"] = [device] }, "image-2");
        fleet.Repository.Commit("image-2 on main");
        var target = await BuildTargetAsync("main");
        var checksum = target.Configurations.Keys.Single();

        await RefusedAsync(target with { Branch = "canary" }, "sent to branch 'main'");
        await RefusedAsync(target with { Schema = "gitfleet.target/v9" }, "unsupported target schema");
        await RefusedAsync(target with { Configurations = new Dictionary<string, TargetConfiguration>() }, $"configuration {checksum} is not in configurations");
        await RefusedAsync(target with
        {
            Configurations = new Dictionary<string, TargetConfiguration> { [checksum] = new(new Dictionary<string, string> { ["x"] = "1" }, []) },
        }, "does not match its values");
        await RefusedAsync(target with { Policy = target.Policy with { Waves = ["ten"] } }, "policy");

        using (var malformed = new StringContent("{\"schema\": \"gitfleet.target/v1\", \"devices\": [", Encoding.UTF8, "application/json"))
        using (var response = await fleet.Admin.PostAsync(TargetPath, malformed))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!.ShouldContain("malformed target JSON");
        }

        using (var brotli = new ByteArrayContent([1, 2, 3]))
        {
            brotli.Headers.ContentEncoding.Add("br");
            using var response = await fleet.Admin.PostAsync(TargetPath, brotli);
            response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        }

        using (var anonymous = fleet.Server.Anonymous())
        using (var response = await anonymous.PostAsJsonAsync(TargetPath, target, ReconcileJson.Context.BranchTarget))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using (var missing = await fleet.Admin.GetAsync("/api/management/v1/gitfleet/branches/main"))
        {
            missing.StatusCode.ShouldBe(HttpStatusCode.NotFound, "nothing was stored");
        }

        // A device the server does not know is left alone as a problem, not an error.
        var stranger = target with { Devices = [.. target.Devices, new TargetDevice("00000000-0000-4000-8000-000000000001", "image-2", checksum, [])] };
        (await SubmitAsync(stranger)).GetProperty("unchanged").GetBoolean().ShouldBeFalse();
        await fleet.RunAsync();
        var status = await fleet.StatusAsync("main");
        status.Devices.Problems.ShouldBe(1);
        status.Issues.ShouldContain(i => i.Device == "00000000-0000-4000-8000-000000000001" && i.Reason.StartsWith("unknown-device", StringComparison.Ordinal));
        status.Devices.Total.ShouldBe(2);
    }

    /// <summary>What `gitfleet apply` does: plan the branch against the server's facts and build its target.</summary>
    private async Task<BranchTarget> BuildTargetAsync(string branch)
    {
        var facts = FactsDocument.Parse(await fleet.Admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts")).Devices;
        var planner = new BranchPlanner(await FleetRepository.OpenAsync(fleet.Repository.Path, fleet.Repository.Path, CancellationToken.None));
        var load = await planner.LoadAsync(branch, CancellationToken.None);
        load.Revision.ShouldNotBeNull(string.Join("\n", load.Errors));
        var planned = await planner.PlanAsync(branch, load.Revision, facts, name => name == "APP_TOKEN" ? ReconcileHarness.AppToken : null, CancellationToken.None);
        return BranchTargetBuilder.Build(planned.Plan, planned.Revision, planned.Members);
    }

    private async Task<JsonElement> SubmitAsync(BranchTarget target, bool gzip = false)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(target, ReconcileJson.Context.BranchTarget);
        HttpContent content;
        if (gzip)
        {
            using var buffer = new MemoryStream();
            await using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                await zip.WriteAsync(json);
            }

            content = new ByteArrayContent(buffer.ToArray());
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(json);
        }

        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using (content)
        using (var response = await fleet.Admin.PostAsync(TargetPath, content))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
    }

    private async Task RefusedAsync(BranchTarget target, string reason)
    {
        using var response = await fleet.Admin.PostAsJsonAsync(TargetPath, target, ReconcileJson.Context.BranchTarget);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var body = await response.Content.ReadAsStringAsync();
        JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!.ShouldContain(reason);
        body.ShouldNotContain(ReconcileHarness.AppToken);
    }
}
