using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Artifacts;
using Gitfleet.Artifacts.Delta;
using Gitfleet.Git;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.Delivery;

/// <summary>
/// The server's delta decisions through the real device API, with real xdelta3 and small ext4 images: who gets a
/// delta, waiting while it is generated, the full image for everyone else, after a failure, and when generation
/// fails or takes too long.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeltaOfferTests : IAsyncLifetime
{
    private const string DeviceType = "raspberrypi4";
    private readonly TempDirectory work = new("gitfleet-delta-offers");
    private string baseImage = "";
    private string targetImage = "";

    public async Task InitializeAsync()
    {
        baseImage = await OsImages.WriteImageAsync(work.Path, "img-1", release: 0);
        targetImage = await OsImages.WriteImageAsync(work.Path, "img-2", release: 1);
    }

    public Task DisposeAsync()
    {
        work.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_device_that_announces_deltas_waits_for_the_generation_then_gets_a_delta_that_rebuilds_the_target_and_its_retry_gets_the_full_image()
    {
        await using var server = await StartAsync();
        using var admin = await server.AdminAsync();
        await UploadReleasesAsync(admin);
        using var device = await server.AcceptedDeviceAsync(DeviceType, "img-1", DeltaInventory("img-1"));
        var deployment = await DeployAsync(admin, device, retries: 1);

        using (var first = await NextAsync(device, "img-1"))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.NoContent, "the delta is being generated: nothing now");
        }

        var delta = await AwaitDeltaAsync(admin, "ready");
        delta.GetProperty("from").GetString().ShouldBe("img-1");
        delta.GetProperty("to").GetString().ShouldBe("img-2");
        delta.GetProperty("size").GetInt64().ShouldBeLessThan(delta.GetProperty("full_size").GetInt64() / 4);

        var (uri, artifact) = await OfferAsync(device, "img-1");
        uri.ShouldContain("/api/downloads/delta/");
        var payload = artifact.Payloads.ShouldHaveSingleItem();
        payload.Type.ShouldBe(DeltaArtifact.PayloadType);
        artifact.Name.ShouldBe("img-2");
        payload.Provides["rootfs-image.version"].ShouldBe("img-2");
        var meta = DeltaMetaData.Parse(payload.MetaData).ShouldNotBeNull();
        meta.BaseSha256.ShouldBe(OsImages.Sha256(baseImage));
        meta.TargetSha256.ShouldBe(OsImages.Sha256(targetImage));

        // What the device's module does: xdelta3 rebuilds the target from the base.
        var rebuilt = await ApplyAsync(server.Anonymous(), uri, meta);
        OsImages.Sha256(rebuilt).ShouldBe(meta.TargetSha256);

        // The delta install fails on the device: the retry is offered the full image, never the same delta.
        (await device.ReportAsync(deployment, "downloading")).EnsureSuccessStatusCode();
        (await device.ReportAsync(deployment, "failure")).EnsureSuccessStatusCode();
        var (retryUri, retry) = await OfferAsync(device, "img-1");
        retryUri.ShouldContain("/api/downloads/device/");
        retry.Payloads.ShouldHaveSingleItem().Type.ShouldBe("gitfleet-ab");
    }

    [Fact]
    public async Task A_device_without_delta_support_gets_the_full_image_at_once_and_nothing_is_generated()
    {
        await using var server = await StartAsync();
        using var admin = await server.AdminAsync();
        await UploadReleasesAsync(admin);
        using var device = await server.AcceptedDeviceAsync(DeviceType, "img-1", new Dictionary<string, string> { ["rootfs-image.version"] = "img-1" });
        await DeployAsync(admin, device);

        var (uri, artifact) = await OfferAsync(device, "img-1");

        uri.ShouldContain("/api/downloads/device/");
        artifact.Payloads.ShouldHaveSingleItem().Type.ShouldBe("gitfleet-ab");
        (await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/deltas")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task When_generation_fails_devices_get_the_full_image_and_operators_see_why()
    {
        var failing = DeviceSandboxScript(work, "failing-xdelta3", "#!/bin/sh\necho 'xdelta3: out of disk space' >&2\nexit 1\n");
        await using var server = await StartAsync(o => o with { Delivery = o.Delivery with { DeltaTool = failing } });
        using var admin = await server.AdminAsync();
        await UploadReleasesAsync(admin);
        using var device = await server.AcceptedDeviceAsync(DeviceType, "img-1", DeltaInventory("img-1"));
        await DeployAsync(admin, device);
        (await NextAsync(device, "img-1")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var delta = await AwaitDeltaAsync(admin, "failed");
        delta.GetProperty("error").GetString()!.ShouldContain("out of disk space");

        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/device/");
    }

    [Fact]
    public async Task A_device_waits_for_a_slow_generation_only_up_to_the_delta_wait()
    {
        var slow = DeviceSandboxScript(work, "slow-xdelta3", "#!/bin/sh\nsleep 60\n");
        await using var server = await StartAsync(o => o with { Delivery = o.Delivery with { DeltaTool = slow, DeltaWait = TimeSpan.FromMinutes(10) } });
        using var admin = await server.AdminAsync();
        await UploadReleasesAsync(admin);
        using var device = await server.AcceptedDeviceAsync(DeviceType, "img-1", DeltaInventory("img-1"));
        await DeployAsync(admin, device);

        (await NextAsync(device, "img-1")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        server.Time.Advance(TimeSpan.FromMinutes(9));
        (await NextAsync(device, "img-1")).StatusCode.ShouldBe(HttpStatusCode.NoContent, "still within the delta wait");
        server.Time.Advance(TimeSpan.FromMinutes(2));
        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/device/", customMessage: "the wait is over: the full image");
    }

    [Fact]
    public async Task The_installed_image_is_looked_up_in_memory_and_an_upload_or_a_delete_counts_at_the_next_check_in()
    {
        await using var server = await StartAsync();
        using var admin = await server.AdminAsync();
        await UploadAsync(admin, "img-2", targetImage);
        using var device = await server.AcceptedDeviceAsync(DeviceType, "img-1", DeltaInventory("img-1"));
        await DeployAsync(admin, device);
        var images = server.Server.Services.GetRequiredService<ImageArtifacts>();

        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/device/", customMessage: "img-1 is not on the server: the full image");
        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/device/");
        images.Loads.ShouldBe(1, "check-ins look the installed image up in memory, not in a listing of every artifact");

        var id = await UploadAsync(admin, "img-1", baseImage);
        (await NextAsync(device, "img-1")).StatusCode.ShouldBe(HttpStatusCode.NoContent, "the upload counts at once: its delta is being generated");
        await AwaitDeltaAsync(admin, "ready");
        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/delta/");

        (await admin.DeleteAsync($"/api/management/v1/deployments/artifacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await OfferAsync(device, "img-1")).Uri.ShouldContain("/api/downloads/device/", customMessage: "the base is deleted: the full image");
        images.Loads.ShouldBe(3, "read again after the upload and after the delete, not at each check-in");
    }

    private static Dictionary<string, string> DeltaInventory(string image) =>
        new() { ["rootfs-image.version"] = image, ["gitfleet_delta_formats"] = "xdelta3" };

    private static string DeviceSandboxScript(TempDirectory directory, string name, string script)
    {
        var path = directory.Write(name, script);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static async Task<TestServer> StartAsync(Func<Gitfleet.Server.Hosting.ServerOptions, Gitfleet.Server.Hosting.ServerOptions>? configure = null)
    {
        var server = new TestServer { Configure = configure ?? (o => o) };
        await server.InitializeAsync();
        return server;
    }

    private async Task UploadReleasesAsync(HttpClient admin)
    {
        await UploadAsync(admin, "img-1", baseImage);
        await UploadAsync(admin, "img-2", targetImage);
    }

    /// <summary>Uploads an image artifact; returns its id.</summary>
    private async Task<string> UploadAsync(HttpClient admin, string name, string image)
    {
        using var uploaded = await TestServer.UploadAsync(admin, await OsImages.WriteArtifactAsync(work.Path, name, DeviceType, image));
        uploaded.EnsureSuccessStatusCode();
        return uploaded.Headers.Location!.ToString().Split('/')[^1];
    }

    private static async Task<string> DeployAsync(HttpClient admin, SimulatedDevice device, int retries = 0)
    {
        using var created = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments",
            new { name = "release 2", artifact_name = "img-2", devices = new[] { device.Id }, retries });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return created.Headers.Location!.ToString().Split('/')[^1];
    }

    private static Task<HttpResponseMessage> NextAsync(SimulatedDevice device, string image) =>
        device.SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", new
        {
            device_provides = new Dictionary<string, string> { ["artifact_name"] = image, ["device_type"] = DeviceType, ["rootfs-image.version"] = image },
            update_control_map = true,
        });

    private static async Task<(string Uri, ArtifactInfo Artifact)> OfferAsync(SimulatedDevice device, string image)
    {
        using var next = await NextAsync(device, image);
        next.StatusCode.ShouldBe(HttpStatusCode.OK, await next.Content.ReadAsStringAsync());
        var uri = (await next.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString()!;
        using var download = await device.Http.GetAsync(uri);
        download.EnsureSuccessStatusCode();
        return (uri, await ArtifactReader.ReadAsync(await download.Content.ReadAsStreamAsync()));
    }

    private static async Task<JsonElement> AwaitDeltaAsync(HttpClient admin, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var deltas = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/deltas");
            if (deltas.GetArrayLength() == 1 && deltas[0].GetProperty("state").GetString() == state)
            {
                return deltas[0];
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"the delta did not become {state}: {deltas}");
            await Task.Delay(100);
        }
    }

    /// <summary>Downloads the delta artifact, takes its delta file out and applies it to the base with xdelta3.</summary>
    private async Task<string> ApplyAsync(HttpClient anonymous, string uri, DeltaMetaData meta)
    {
        var artifactPath = work.Combine("offered-delta.mender");
        await File.WriteAllBytesAsync(artifactPath, await anonymous.GetByteArrayAsync(uri));
        var info = await ArtifactReader.ReadAsync(File.OpenRead(artifactPath));
        var file = info.Payloads[0].Files.Single(f => f.Name == meta.DeltaFile);
        var vcdiff = work.Combine(meta.DeltaFile);
        await using (var input = File.OpenRead(artifactPath))
        await using (var output = File.Create(vcdiff))
        {
            await PayloadFileExtractor.ExtractAsync(input, 0, file.Name, file.Checksum, output, CancellationToken.None);
        }

        var rebuilt = work.Combine("rebuilt.ext4");
        var result = await ProcessRunner.RunAsync("xdelta3", ["-d", "-f", "-s", baseImage, vcdiff, rebuilt]);
        result.ExitCode.ShouldBe(0, result.StandardError);
        return rebuilt;
    }
}
