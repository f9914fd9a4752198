using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Delivery;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Delivery;

/// <summary>
/// Downloads served by Debian's nginx (the documented configuration, run for real) with the server's signed links:
/// the device downloads the artifact from nginx, resumes it with Range, and an altered, expired or misdirected link
/// is refused.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OffloadedDownloadTests : IAsyncLifetime
{
    private const string Secret = "download-secret-for-tests-0123456789";
    private readonly TempDirectory work = new("gitfleet-offload");
    private NginxServer nginx = null!;
    private TestServer server = null!;

    public async Task InitializeAsync()
    {
        var data = work.Combine("server");
        nginx = await NginxServer.StartAsync(Path.Combine(data, "artifacts"), Secret);
        server = new TestServer
        {
            Configure = o => o with { DataDirectory = data, Delivery = o.Delivery with { DownloadBaseUrl = nginx.BaseUrl, DownloadSecret = Secret } },
        };
        await server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        nginx.Dispose();
        work.Dispose();
    }

    [Fact]
    public async Task The_device_downloads_from_nginx_and_resumes_with_range()
    {
        var link = await OfferAsync();
        link.ShouldStartWith(nginx.BaseUrl + "/");
        var expected = await File.ReadAllBytesAsync(await ArtifactPathAsync());
        using var http = new HttpClient();

        var whole = await http.GetByteArrayAsync(link);
        SHA256.HashData(whole).ShouldBe(SHA256.HashData(expected));

        using var request = new HttpRequestMessage(HttpMethod.Get, link);
        request.Headers.Range = new RangeHeaderValue(expected.Length / 2, null);
        using var resumed = await http.SendAsync(request);
        resumed.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        var tail = await resumed.Content.ReadAsByteArrayAsync();
        tail.ShouldBe(expected[(expected.Length / 2)..]);
        nginx.Requests().Select(r => r.Status).ShouldBe([200, 206]);
    }

    [Fact]
    public async Task An_altered_link_is_refused_and_an_expired_one_is_gone()
    {
        var link = await OfferAsync();
        using var http = new HttpClient();
        var query = link.IndexOf("md5=", StringComparison.Ordinal) + 4;
        var altered = link[..query] + (link[query] == 'A' ? 'B' : 'A') + link[(query + 1)..];
        (await http.GetAsync(altered)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await http.GetAsync(link[..link.IndexOf('?', StringComparison.Ordinal)])).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "no signature");
        var later = link.Replace("expires=", "expires=9", StringComparison.Ordinal);
        (await http.GetAsync(later)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "a longer life is another signature");

        // A link the server signed two hours ago with a one-hour lifetime (its clock moved back).
        server.Time.Advance(TimeSpan.FromHours(-2));
        var old = new OffloadedLinks(nginx.BaseUrl, Secret, server.Time).Create(Path.GetFileName(await ArtifactPathAsync()), TimeSpan.FromHours(1)).Uri;
        (await http.GetAsync(old)).StatusCode.ShouldBe(HttpStatusCode.Gone);
    }

    [Fact]
    public async Task Only_artifacts_are_served_even_with_a_valid_signature()
    {
        await OfferAsync();
        var cache = Path.Combine(server.Server.DataDirectory, "artifacts", "cache", "images");
        Directory.CreateDirectory(cache);
        await File.WriteAllTextAsync(Path.Combine(cache, "secret-image.img"), "not for devices");
        await File.WriteAllTextAsync(Path.Combine(server.Server.DataDirectory, "artifacts", "..", "gitfleet.db.copy"), "not for devices");
        var signer = new OffloadedLinks(nginx.BaseUrl, Secret, TimeProvider.System);
        using var http = new HttpClient();
        (await http.GetAsync(signer.Create("cache/images/secret-image.img", TimeSpan.FromHours(1)).Uri)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync(signer.Create("../gitfleet.db.copy", TimeSpan.FromHours(1)).Uri)).IsSuccessStatusCode.ShouldBeFalse();
    }

    private async Task<string> ArtifactPathAsync()
    {
        using var admin = await server.AdminAsync();
        var artifacts = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts");
        var id = artifacts[0].GetProperty("id").GetString()!;
        return Directory.GetFiles(Path.Combine(server.Server.DataDirectory, "artifacts"), "*.mender").Single(f => Path.GetFileName(f).StartsWith(id, StringComparison.Ordinal));
    }

    private async Task<string> OfferAsync()
    {
        using var admin = await server.AdminAsync();
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "offloaded-1", "raspberrypi4"))).EnsureSuccessStatusCode();
        using var device = await server.AcceptedDeviceAsync();
        (await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "o", artifact_name = "offloaded-1", devices = new[] { device.Id } })).EnsureSuccessStatusCode();
        using var next = await device.NextAsync();
        next.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await next.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString()!;
    }
}
