using System.Net.Http.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Facts;

public sealed class FactsTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-artifacts");

    [Fact]
    public async Task The_bulk_facts_document_holds_every_device_with_its_observed_state()
    {
        using var admin = await server.AdminAsync();
        var path = await MenderArtifactTool.WriteSingleFileAsync(work.Path, "facts-2", "raspberrypi4");
        (await TestServer.UploadAsync(admin, path)).EnsureSuccessStatusCode();
        using var busy = await server.AcceptedDeviceAsync(inventory: new Dictionary<string, string> { ["rootfs-image.version"] = "image-1" });
        using var idle = await server.AcceptedDeviceAsync(deviceType: "beaglebone", artifactName: "bb-1");
        using var pending = new SimulatedDevice(server.Anonymous());
        (await pending.RequestAuthAsync()).Dispose();
        (await admin.PutAsJsonAsync($"/api/management/v1/inventory/devices/{busy.Id}/tags", new[] { new { name = "subscribed_branch", value = "develop" } })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{idle.Id}", new Dictionary<string, string> { ["a"] = "1" })).EnsureSuccessStatusCode();
        (await idle.SendAsync(HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", new Dictionary<string, string> { ["a"] = "0" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments",
            new { name = "f", artifact_name = "facts-2", devices = new[] { busy.Id }, trace = new { commit = "feedbeef" } })).EnsureSuccessStatusCode();
        (await busy.NextAsync()).Dispose();

        var json = await admin.GetByteArrayAsync("/api/management/v1/gitfleet/facts");
        var document = FactsDocument.Parse(json);
        document.Devices.Count.ShouldBeGreaterThanOrEqualTo(3);
        document.Devices.Select(d => d.Id).ShouldBe(document.Devices.Select(d => d.Id).Order(StringComparer.Ordinal));

        var b = document.Devices.Single(d => d.Id == busy.Id);
        b.Status.ShouldBe(DeviceStatus.Accepted);
        b.DeviceType.ShouldBe("raspberrypi4");
        b.InstalledImage.ShouldBe("image-1");
        b.Identity["mac"].ShouldBe(busy.Mac);
        b.Tags["subscribed_branch"].ShouldBe("develop");
        b.LastCheckIn.ShouldNotBeNull();
        var flight = b.InFlight.ShouldHaveSingleItem();
        flight.Kind.ShouldBe(DeploymentKind.Os);
        flight.ArtifactName.ShouldBe("facts-2");
        flight.Commit.ShouldBe("feedbeef");
        flight.Status.ShouldBe("pending");

        var i = document.Devices.Single(d => d.Id == idle.Id);
        i.ArtifactName.ShouldBe("bb-1");
        i.ConfiguredConfiguration!["a"].ShouldBe("1");
        i.ReportedConfiguration!["a"].ShouldBe("0");
        i.InFlight.ShouldBeEmpty();
        document.Devices.ShouldContain(d => d.Identity["mac"] == pending.Mac && d.Status == DeviceStatus.Pending);
    }

    public void Dispose() => work.Dispose();
}
