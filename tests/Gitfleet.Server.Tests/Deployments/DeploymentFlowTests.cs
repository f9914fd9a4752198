using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Deployments;

[Trait(PostgresSubset.Trait, PostgresSubset.Value)]
public sealed class DeploymentFlowTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-artifacts");

    [Fact]
    public async Task A_deployment_is_offered_downloaded_with_ranges_and_reported_to_success()
    {
        using var admin = await server.AdminAsync();
        var artifact = await UploadAsync(admin, "flow-2", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var deploymentId = await CreateAsync(admin, "flow-2", [device.Id!], trace: new { branch = "main", commit = "c0ffee", author = "Ann", subject = "Roll out flow-2" });
        using var next = await device.NextAsync();
        next.StatusCode.ShouldBe(HttpStatusCode.OK);
        var offer = await next.Content.ReadFromJsonAsync<JsonElement>();
        offer.GetProperty("id").GetString().ShouldBe(deploymentId);
        var artifactJson = offer.GetProperty("artifact");
        artifactJson.GetProperty("artifact_name").GetString().ShouldBe("flow-2");
        artifactJson.GetProperty("device_types_compatible")[0].GetString().ShouldBe("raspberrypi4");
        var uri = artifactJson.GetProperty("source").GetProperty("uri").GetString()!;
        artifactJson.GetProperty("source").GetProperty("expire").GetDateTimeOffset().ShouldBeGreaterThan(server.Time.GetUtcNow());

        using var anonymous = server.Anonymous();
        var whole = await anonymous.GetByteArrayAsync(uri);
        whole.ShouldBe(await File.ReadAllBytesAsync(artifact));
        whole.Length.ShouldBeGreaterThanOrEqualTo(4096);
        using var range = new HttpRequestMessage(HttpMethod.Get, uri);
        range.Headers.Range = new RangeHeaderValue(1000, null);
        using var partial = await anonymous.SendAsync(range);
        partial.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await partial.Content.ReadAsByteArrayAsync()).ShouldBe(whole[1000..]);

        foreach (var status in new[] { "downloading", "installing", "rebooting", "success" })
        {
            (await device.ReportAsync(deploymentId, status)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var statistics = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}/statistics");
        statistics.GetProperty("success").GetInt32().ShouldBe(1);
        statistics.GetProperty("pending").GetInt32().ShouldBe(0);
        var deployment = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}");
        deployment.GetProperty("status").GetString().ShouldBe("finished");
        deployment.GetProperty("trace").GetProperty("commit").GetString().ShouldBe("c0ffee");
        deployment.GetProperty("kind").GetString().ShouldBe("os");
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/devices/{device.Id}");
        history[0].GetProperty("deployment").GetProperty("trace").GetProperty("subject").GetString().ShouldBe("Roll out flow-2");
        history[0].GetProperty("device").GetProperty("status").GetString().ShouldBe("success");

        // A finished deployment's link serves nothing any more.
        (await anonymous.GetAsync(uri)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("exploded")]
    [InlineData("Success")]
    [InlineData("pending")]
    [InlineData("noartifact")]
    [InlineData("aborted")]
    [InlineData("decommissioned")]
    public async Task A_status_a_device_may_not_report_is_a_400_with_the_reportable_ones_and_changes_nothing(string status)
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "report-" + status, "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var id = await CreateAsync(admin, "report-" + status, [device.Id!]);

        using var refused = await device.ReportAsync(id, status);
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString().ShouldBe(
            $"unknown status '{status}'; expected one of: downloading, installing, rebooting, pause_before_installing, pause_before_committing, pause_before_rebooting, success, failure, already-installed");
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/devices/{device.Id}");
        history[0].GetProperty("device").GetProperty("status").GetString().ShouldBe("pending");
    }

    [Fact]
    public async Task Reported_statuses_keep_menders_spelling_in_every_answer()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "spelled-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var id = await CreateAsync(admin, "spelled-1", [device.Id!]);
        (await device.ReportAsync(id, "pause_before_installing")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var device1 = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{id}/devices");
        device1[0].GetProperty("status").GetString().ShouldBe("pause_before_installing");
        (await device.ReportAsync(id, "already-installed")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await device.ReportAsync(id, "already-installed")).StatusCode.ShouldBe(HttpStatusCode.NoContent, "the same final status again is accepted");
        using (var conflict = await device.ReportAsync(id, "failure"))
        {
            conflict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await conflict.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString().ShouldBe("the deployment already finished with status already-installed");
        }

        (await admin.GetStringAsync($"/api/management/v1/deployments/deployments/{id}/statistics")).ShouldBe(
            """{"pending":0,"downloading":0,"installing":0,"rebooting":0,"pause_before_installing":0,"pause_before_committing":0,"pause_before_rebooting":0,"success":0,"failure":0,"already-installed":1,"noartifact":0,"aborted":0,"decommissioned":0}""");
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/devices/{device.Id}");
        history[0].GetProperty("device").GetProperty("status").GetString().ShouldBe("already-installed");
        var own = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/gitfleet/devices/{device.Id}/history");
        own[0].GetProperty("status").GetString().ShouldBe("already-installed");
    }

    [Fact]
    public async Task The_installed_artifact_is_already_installed_without_an_offer()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "same-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync(artifactName: "same-1");
        var id = await CreateAsync(admin, "same-1", [device.Id!]);
        (await device.NextAsync(artifactName: "same-1")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var statistics = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{id}/statistics");
        statistics.GetProperty("already-installed").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task A_device_of_another_type_is_offered_the_artifact_so_the_client_can_refuse_it_with_a_reason()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "typed-1", "beaglebone");
        using var device = await server.AcceptedDeviceAsync(deviceType: "raspberrypi4");
        var id = await CreateAsync(admin, "typed-1", [device.Id!]);
        using var offer = await device.NextAsync();
        offer.StatusCode.ShouldBe(HttpStatusCode.OK);
        var artifact = (await offer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("artifact");
        artifact.GetProperty("device_types_compatible")[0].GetString().ShouldBe("beaglebone");
    }

    [Fact]
    public async Task Deployments_are_offered_first_in_first_out_and_an_os_update_precedes_a_later_configuration()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "fifo-os", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var os = await CreateAsync(admin, "fifo-os", [device.Id!]);
        (await admin.PutAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{device.Id}", new Dictionary<string, string> { ["kiosk_url"] = "https://example.com" }))
            .StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var deploy = await admin.PostAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{device.Id}/deploy", new { retries = 0 });
        deploy.StatusCode.ShouldBe(HttpStatusCode.OK, await deploy.Content.ReadAsStringAsync());
        var configuration = (await deploy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString();

        (await (await device.NextAsync()).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString().ShouldBe(os);
        (await device.ReportAsync(os, "success")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var second = await (await device.NextAsync(artifactName: "fifo-os")).Content.ReadFromJsonAsync<JsonElement>();
        second.GetProperty("id").GetString().ShouldBe(configuration);
        second.GetProperty("artifact").GetProperty("artifact_name").GetString()!.ShouldStartWith("configuration-");
    }

    [Fact]
    public async Task Aborting_answers_409_to_the_device_and_DELETE_clears_a_device_queue()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "abort-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var id = await CreateAsync(admin, "abort-1", [device.Id!]);
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await device.ReportAsync(id, "downloading")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{id}/status", new { status = "aborted" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using (var conflict = await device.ReportAsync(id, "installing"))
        {
            conflict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await conflict.Content.ReadAsStringAsync()).ShouldContain("aborted");
        }

        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{id}/status", new { status = "aborted" })).StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);

        var second = await CreateAsync(admin, "abort-1", [device.Id!]);
        (await admin.DeleteAsync($"/api/management/v1/deployments/deployments/devices/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var stats = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{second}/statistics");
        stats.GetProperty("aborted").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task The_same_idempotency_key_creates_one_deployment_even_when_requests_race()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "idem-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var key = Guid.NewGuid().ToString();
        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CreateAsync(admin, "idem-1", [device.Id!], key)));
        ids.Distinct().Count().ShouldBe(1);
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/devices/{device.Id}");
        history.GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task A_failure_with_retries_left_is_offered_again_and_the_log_is_kept()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "retry-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var id = await CreateAsync(admin, "retry-1", [device.Id!], retries: 1);
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await device.ReportAsync(id, "failure")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await device.ReportAsync(id, "failure")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var log = await device.SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{id}/log",
            new { messages = new[] { new { level = "error", message = "the module said no", timestamp = "2026-03-01T12:00:00Z" } } });
        log.StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var devices = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{id}/devices");
        devices[0].GetProperty("status").GetString().ShouldBe("failure");
        devices[0].GetProperty("attempts").GetInt32().ShouldBe(2);
        devices[0].GetProperty("log").GetBoolean().ShouldBeTrue();
        var text = await admin.GetStringAsync($"/api/management/v1/deployments/deployments/{id}/devices/{device.Id}/log");
        text.ShouldContain("error: the module said no");
    }

    [Fact]
    public async Task Group_deployments_reach_the_group_and_lists_are_paginated()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "group-1", "raspberrypi4");
        using var a = await server.AcceptedDeviceAsync();
        using var b = await server.AcceptedDeviceAsync();
        foreach (var device in new[] { a, b })
        {
            (await admin.PutAsJsonAsync($"/api/management/v1/inventory/devices/{device.Id}/group", new { group = "canary" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using var created = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments/group/canary", new { name = "canary rollout", artifact_name = "group-1" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = created.Headers.Location!.ToString().Split('/')[^1];
        (await a.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await b.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var page = await admin.GetAsync($"/api/management/v1/deployments/deployments/{id}/devices/list?per_page=1");
        page.Headers.GetValues("X-Total-Count").Single().ShouldBe("2");
        page.Headers.GetValues("Link").Single().ShouldContain("rel=\"next\"");
        using var list = await admin.GetAsync("/api/management/v1/deployments/deployments?per_page=1&search=canary");
        list.Headers.GetValues("X-Total-Count").Single().ShouldBe("1");
    }

    [Fact]
    public async Task The_v1_post_and_get_fallbacks_offer_the_same_deployment()
    {
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "v1-1", "raspberrypi4");
        using var device = await server.AcceptedDeviceAsync();
        var id = await CreateAsync(admin, "v1-1", [device.Id!]);
        using var post = await device.SendAsync(HttpMethod.Post, "/api/devices/v1/deployments/device/deployments/next", new { artifact_name = "release-1", device_type = "raspberrypi4" });
        (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString().ShouldBe(id);
        using var get = await device.SendAsync(HttpMethod.Get, "/api/devices/v1/deployments/device/deployments/next?artifact_name=release-1&device_type=raspberrypi4");
        (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString().ShouldBe(id);
        using var missing = await device.SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", new { something = "else" });
        missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    public void Dispose() => work.Dispose();

    private async Task<string> UploadAsync(HttpClient admin, string name, string deviceType)
    {
        var path = await MenderArtifactTool.WriteSingleFileAsync(work.Path, name, deviceType);
        using var response = await TestServer.UploadAsync(admin, path);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return path;
    }

    private static async Task<string> CreateAsync(HttpClient admin, string artifact, string[] devices, string? key = null, object? trace = null, int retries = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/deployments/deployments")
        {
            Content = JsonContent.Create(new { name = "deploy " + artifact, artifact_name = artifact, devices, retries, trace }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        using var response = await admin.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString().Split('/')[^1];
    }
}
