using System.Net.Http.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Client.Tests;

public sealed class ManagementClientTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-client");

    private ManagementClientOptions Options => new()
    {
        ServerUrl = server.BaseUri,
        User = "admin",
        Password = TestServer.AdminPassword,
        CaCertificatePath = server.Server.CertificatePath,
    };

    [Fact]
    public async Task Logs_in_recognises_gitfleet_and_schedules_os_and_configuration_deployments_with_trace()
    {
        using var client = await ManagementClient.ConnectAsync(Options, CancellationToken.None);
        var info = await client.GetServerInfoAsync(CancellationToken.None);
        info!.Supports("facts").ShouldBeTrue();

        using var admin = await server.AdminAsync();
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "client-1", "raspberrypi4"))).EnsureSuccessStatusCode();
        using var device = await server.AcceptedDeviceAsync();
        (await client.ListArtifactsAsync(CancellationToken.None)).ShouldContain(a => a.Name == "client-1" && a.DeviceTypesCompatible.Contains("raspberrypi4"));

        var trace = new DeploymentTrace("production", "0123abcd", "Ann", "Promote image");
        var first = await client.CreateDeploymentAsync(new NewDeployment { Name = "promote", ArtifactName = "client-1", Devices = [device.Id!], Trace = trace }, "key-1", CancellationToken.None);
        var again = await client.CreateDeploymentAsync(new NewDeployment { Name = "promote", ArtifactName = "client-1", Devices = [device.Id!], Trace = trace }, "key-1", CancellationToken.None);
        again.ShouldBe(first);
        var deployment = await client.GetDeploymentAsync(first, CancellationToken.None);
        deployment.Trace.ShouldBe(trace);
        deployment.Kind.ShouldBe("os");
        (await client.GetDeploymentStatisticsAsync(first, CancellationToken.None))["pending"].ShouldBe(1);

        await client.PutConfigurationAsync(device.Id!, new Dictionary<string, string> { ["mode"] = "kiosk" }, CancellationToken.None);
        var configuration = await client.DeployConfigurationAsync(device.Id!, trace, 1, "key-2", CancellationToken.None);
        var facts = await client.GetFactsAsync(CancellationToken.None);
        var flights = facts.Devices.Single(d => d.Id == device.Id).InFlight;
        flights.Select(f => f.DeploymentId).ShouldBe([first, configuration]);
        flights[1].ConfigurationChecksum.ShouldBe(ConfigurationChecksum.Compute(new Dictionary<string, string> { ["mode"] = "kiosk" }));
        flights[0].Commit.ShouldBe("0123abcd");

        await client.AbortDeploymentAsync(first, CancellationToken.None);
        (await client.GetDeploymentAsync(first, CancellationToken.None)).Status.ShouldBe("finished");
        var error = await Should.ThrowAsync<ManagementApiException>(() => client.AbortDeploymentAsync(first, CancellationToken.None));
        error.StatusCode.ShouldBe(422);
        error.Message.ShouldContain("already finished");
    }

    [Fact]
    public async Task Facts_assembled_from_the_mender_endpoints_match_the_bulk_endpoint()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync(inventory: new Dictionary<string, string> { ["rootfs-image.version"] = "img-3" });
        (await admin.PutAsJsonAsync($"/api/management/v1/inventory/devices/{device.Id}/tags", new[] { new { name = "subscribed_branch", value = "canary" } })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{device.Id}", new Dictionary<string, string> { ["x"] = "1" })).EnsureSuccessStatusCode();
        using var client = await ManagementClient.ConnectAsync(Options with { PageSize = 1 }, CancellationToken.None);

        var bulk = (await client.GetFactsAsync(CancellationToken.None)).Devices.Single(d => d.Id == device.Id);
        var assembled = (await new MenderFactsAssembler(client, 1).AssembleAsync(CancellationToken.None)).Devices.Single(d => d.Id == device.Id);
        assembled.Status.ShouldBe(bulk.Status);
        assembled.DeviceType.ShouldBe(bulk.DeviceType);
        assembled.ArtifactName.ShouldBe(bulk.ArtifactName);
        assembled.InstalledImage.ShouldBe("img-3");
        assembled.Identity.ShouldBe(bulk.Identity);
        assembled.Tags.ShouldBe(bulk.Tags);
        assembled.ConfiguredConfiguration.ShouldBe(bulk.ConfiguredConfiguration);
        assembled.LastCheckIn.ShouldNotBeNull();
    }

    [Fact]
    public async Task Errors_carry_the_server_message_and_never_the_token()
    {
        var wrong = await Should.ThrowAsync<ManagementApiException>(() => ManagementClient.ConnectAsync(Options with { Password = "nope" }, CancellationToken.None));
        wrong.StatusCode.ShouldBe(401);
        wrong.Message.ShouldContain("wrong email or password");
        wrong.Message.ShouldNotContain("nope");

        using var client = await ManagementClient.ConnectAsync(Options with { User = null, Password = null, Token = TestServer.AdminToken }, CancellationToken.None);
        var missing = await Should.ThrowAsync<ManagementApiException>(() => client.GetDeploymentAsync("no-such-id", CancellationToken.None));
        missing.StatusCode.ShouldBe(404);
        missing.ServerMessage.ShouldBe("deployment no-such-id not found");
        missing.Message.ShouldNotContain(TestServer.AdminToken);

        var untrusted = await Should.ThrowAsync<ManagementApiException>(() =>
            ManagementClient.ConnectAsync(Options with { CaCertificatePath = null }, CancellationToken.None));
        untrusted.StatusCode.ShouldBeNull();
        untrusted.Message.ShouldContain("not trusted");

        using var insecure = await ManagementClient.ConnectAsync(Options with { CaCertificatePath = null, Insecure = true }, CancellationToken.None);
        (await insecure.GetServerInfoAsync(CancellationToken.None)).ShouldNotBeNull();
    }

    public void Dispose() => work.Dispose();
}
