using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Deployments;

/// <summary>Download links need no token, so they must be unguessable, bound to one device deployment, and expire.</summary>
public sealed class DownloadLinkTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-artifacts");

    [Fact]
    public async Task A_link_names_one_device_deployment_and_cannot_be_bent_to_another_or_used_after_it_expires()
    {
        using var admin = await server.AdminAsync();
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "link-1", "raspberrypi4"))).EnsureSuccessStatusCode();
        using var a = await server.AcceptedDeviceAsync();
        using var b = await server.AcceptedDeviceAsync();
        (await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "l", artifact_name = "link-1", devices = new[] { a.Id, b.Id } })).EnsureSuccessStatusCode();
        var linkA = await LinkAsync(a);
        var linkB = await LinkAsync(b);
        using var anonymous = server.Anonymous();
        (await anonymous.GetAsync(linkA)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Device A's signature on device B's deployment id: refused.
        var partsA = new Uri(linkA).AbsolutePath.Split('/');
        var partsB = new Uri(linkB).AbsolutePath.Split('/');
        var forged = linkA.Replace(partsA[4], partsB[4], StringComparison.Ordinal);
        using (var bent = await anonymous.GetAsync(forged))
        {
            bent.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await bent.Content.ReadAsStringAsync()).ShouldContain("not valid");
        }

        (await anonymous.GetAsync(linkA[..^3] + "xyz")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        server.Time.Advance(TimeSpan.FromHours(2));
        using var expired = await anonymous.GetAsync(linkA);
        expired.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await expired.Content.ReadAsStringAsync()).ShouldContain("expired");
    }

    public void Dispose() => work.Dispose();

    private static async Task<string> LinkAsync(SimulatedDevice device)
    {
        using var next = await device.NextAsync();
        next.StatusCode.ShouldBe(HttpStatusCode.OK);
        var offer = await next.Content.ReadFromJsonAsync<JsonElement>();
        return offer.GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString()!;
    }
}
