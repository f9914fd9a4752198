using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.Artifacts;

public sealed class ArtifactUploadTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-artifacts");

    [Fact]
    public async Task An_artifact_from_mender_artifact_is_stored_listed_and_released()
    {
        using var admin = await server.AdminAsync();
        var path = await MenderArtifactTool.WriteSingleFileAsync(work.Path, "upload-1", "raspberrypi4");
        using var created = await TestServer.UploadAsync(admin, path, "first build");
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = created.Headers.Location!.ToString().Split('/')[^1];

        var artifact = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts/{id}");
        artifact.GetProperty("name").GetString().ShouldBe("upload-1");
        artifact.GetProperty("description").GetString().ShouldBe("first build");
        artifact.GetProperty("device_types_compatible")[0].GetString().ShouldBe("raspberrypi4");
        artifact.GetProperty("info").GetProperty("version").GetInt32().ShouldBe(3);
        artifact.GetProperty("updates")[0].GetProperty("type_info").GetProperty("type").GetString().ShouldBe("single-file");
        artifact.GetProperty("artifact_provides").GetProperty("artifact_name").GetString().ShouldBe("upload-1");
        artifact.GetProperty("size").GetInt64().ShouldBe(new FileInfo(path).Length);

        var releases = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments/releases?name=upload-1");
        releases[0].GetProperty("Name").GetString().ShouldBe("upload-1");
        releases[0].GetProperty("Artifacts").GetArrayLength().ShouldBe(1);

        var link = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts/{id}/download");
        using var anonymous = server.Anonymous();
        (await anonymous.GetByteArrayAsync(link.GetProperty("uri").GetString())).ShouldBe(await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task The_same_name_and_device_type_twice_is_a_conflict_but_another_type_is_not()
    {
        using var admin = await server.AdminAsync();
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "dup-1", "raspberrypi4"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var conflict = await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "dup-1", "raspberrypi4"));
        conflict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await conflict.Content.ReadAsStringAsync()).ShouldContain("already exists");
        (await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "dup-1", "beaglebone"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts?name=dup-1");
        list.GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task A_description_over_1024_characters_is_refused_however_long_it_is()
    {
        using var admin = await server.AdminAsync();
        foreach (var length in new[] { 1025, 4 << 20 })
        {
            using var refused = await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, $"long-{length}", "raspberrypi4"), new string('d', length));
            refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("description is longer than 1024 characters");
        }
    }

    [Theory]
    [InlineData("garbage", "tar archive")]
    [InlineData("truncated", "truncated")]
    [InlineData("checksum", "checksum mismatch")]
    public async Task A_broken_artifact_is_refused_with_what_is_wrong_and_nothing_is_stored(string damage, string expected)
    {
        using var admin = await server.AdminAsync();
        var name = "broken-" + damage;
        var path = await MenderArtifactTool.WriteSingleFileAsync(work.Path, name, "raspberrypi4", content: new string('x', 3000));
        var bytes = await File.ReadAllBytesAsync(path);
        bytes = damage switch
        {
            "garbage" => System.Text.Encoding.ASCII.GetBytes(new string('z', 5000)),
            "truncated" => bytes[..(bytes.Length / 2)],
            _ => Corrupt(bytes),
        };
        var damaged = Path.Combine(work.Path, name + "-damaged.mender");
        await File.WriteAllBytesAsync(damaged, bytes);
        var before = Directory.GetFiles(Path.Combine(server.DataDirectory, "artifacts")).Length;

        using var response = await TestServer.UploadAsync(admin, damaged);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(expected);
        (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts?name={name}")).GetArrayLength().ShouldBe(0);
        Directory.GetFiles(Path.Combine(server.DataDirectory, "artifacts")).Length.ShouldBe(before);
    }

    [Fact]
    public async Task An_artifact_in_use_cannot_be_deleted_until_its_deployment_finishes()
    {
        using var admin = await server.AdminAsync();
        using var created = await TestServer.UploadAsync(admin, await MenderArtifactTool.WriteSingleFileAsync(work.Path, "inuse-1", "raspberrypi4"));
        var id = created.Headers.Location!.ToString().Split('/')[^1];
        using var device = await server.AcceptedDeviceAsync();
        using var deployment = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "x", artifact_name = "inuse-1", devices = new[] { device.Id } });
        deployment.StatusCode.ShouldBe(HttpStatusCode.Created);

        (await admin.DeleteAsync($"/api/management/v1/deployments/artifacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await admin.DeleteAsync($"/api/management/v1/deployments/deployments/devices/{device.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.DeleteAsync($"/api/management/v1/deployments/artifacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.GetAsync($"/api/management/v1/deployments/artifacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    public void Dispose() => work.Dispose();

    /// <summary>Changes one hex digit of the payload file's checksum in the manifest (plain text in the outer tar).</summary>
    private static byte[] Corrupt(byte[] artifact)
    {
        var copy = (byte[])artifact.Clone();
        var at = copy.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes("  data/0000/hello.txt"));
        at.ShouldBeGreaterThan(0);
        copy[at - 1] = copy[at - 1] == (byte)'0' ? (byte)'1' : (byte)'0';
        return copy;
    }
}
