using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Tests.DeviceConfig;

public sealed class DeviceConfigTests(TestServer server) : IClassFixture<TestServer>
{
    private static readonly Dictionary<string, string> Kiosk = new() { ["kiosk_url"] = "https://example.com/board", ["timezone"] = "Europe/Zurich" };

    [Fact]
    public async Task Configured_then_deployed_as_a_generated_mender_configure_artifact_then_reported()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        var url = $"/api/management/v1/deviceconfig/configurations/device/{device.Id}";
        (await admin.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.PutAsJsonAsync(url, Kiosk)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var stored = await admin.GetFromJsonAsync<JsonElement>(url);
        stored.GetProperty("configured").GetProperty("kiosk_url").GetString().ShouldBe("https://example.com/board");

        using var deploy = await admin.PostAsJsonAsync(url + "/deploy", new { retries = 0, trace = new { commit = "abc123", branch = "production" } });
        deploy.StatusCode.ShouldBe(HttpStatusCode.OK);
        var deploymentId = (await deploy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString()!;

        var offer = await (await device.NextAsync()).Content.ReadFromJsonAsync<JsonElement>();
        offer.GetProperty("id").GetString().ShouldBe(deploymentId);
        var checksum = ConfigurationChecksum.Compute(Kiosk);
        offer.GetProperty("artifact").GetProperty("artifact_name").GetString().ShouldBe(Gitfleet.Storage.Model.DeploymentKinds.ConfigurationArtifactName(checksum, deploymentId));
        using var anonymous = server.Anonymous();
        var bytes = await anonymous.GetByteArrayAsync(offer.GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString());
        bytes.Length.ShouldBeGreaterThanOrEqualTo(4096);
        var (type, metaData) = ReadConfigurationArtifact(bytes);
        type.ShouldBe("mender-configure");
        metaData.ShouldBe(Kiosk);

        var deployment = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}");
        deployment.GetProperty("kind").GetString().ShouldBe("configuration");
        deployment.GetProperty("type").GetString().ShouldBe("configuration");
        deployment.GetProperty("trace").GetProperty("commit").GetString().ShouldBe("abc123");

        (await device.ReportAsync(deploymentId, "success")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await device.SendAsync(HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", Kiosk)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var after = await admin.GetFromJsonAsync<JsonElement>(url);
        after.GetProperty("reported").GetProperty("timezone").GetString().ShouldBe("Europe/Zurich");
        after.GetProperty("deployment_id").GetString().ShouldBe(deploymentId);
    }

    [Fact]
    public async Task A_generated_artifact_is_removed_a_link_lifetime_after_its_deployment_finished_and_made_again_when_needed()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        var url = $"/api/management/v1/deviceconfig/configurations/device/{device.Id}";
        (await admin.PutAsJsonAsync(url, Kiosk)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var artifacts = server.Server.Services.GetRequiredService<Gitfleet.Server.Artifacts.ArtifactService>();
        server.Time.Advance(TimeSpan.FromHours(2));
        await artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None); // what this class's other tests left
        var directory = Path.Combine(server.Server.DataDirectory, "artifacts");
        var before = Directory.GetFiles(directory, "*.mender").ToHashSet(StringComparer.Ordinal);

        async Task<(string Deployment, string File)> DeployAsync()
        {
            using var deploy = await admin.PostAsJsonAsync(url + "/deploy", new { retries = 0 });
            deploy.StatusCode.ShouldBe(HttpStatusCode.OK);
            var id = (await deploy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString()!;
            (await (await device.NextAsync()).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString().ShouldBe(id);
            return (id, Directory.GetFiles(directory, "*.mender").Single(f => !before.Contains(f)));
        }

        var (first, file) = await DeployAsync();
        server.Time.Advance(TimeSpan.FromHours(2));
        (await artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None)).ShouldBe(0, "its deployment is unfinished: the device may still fetch it");
        File.Exists(file).ShouldBeTrue();

        (await device.ReportAsync(first, "success")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        server.Time.Advance(TimeSpan.FromMinutes(30));
        (await artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None)).ShouldBe(0, "a download link handed out before it finished may still be valid");
        server.Time.Advance(TimeSpan.FromMinutes(31));
        (await artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None)).ShouldBe(1);
        File.Exists(file).ShouldBeFalse();
        (await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{first}")).GetProperty("status").GetString().ShouldBe("finished", "the deployment's record stays");

        var (second, again) = await DeployAsync();
        second.ShouldNotBe(first);
        File.Exists(again).ShouldBeTrue("a new deployment generates its own artifact");
        (await device.ReportAsync(second, "success")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // A file that cannot be deleted (here a directory in its place, with something in it) is named, not hidden.
        File.Delete(again);
        Directory.CreateDirectory(again);
        await File.WriteAllTextAsync(Path.Combine(again, "kept"), "x");
        server.Time.Advance(TimeSpan.FromMinutes(61));
        var error = await Should.ThrowAsync<IOException>(() => artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None));
        error.Message.ShouldContain("1 spent generated artifacts were removed from the store, but 1 of their files could not be deleted");
        error.Message.ShouldContain(again);
        (await artifacts.RemoveSpentConfigurationArtifactsAsync(CancellationToken.None)).ShouldBe(0, "the record went with the first sweep");
        Directory.Delete(again, recursive: true);
    }

    [Fact]
    public async Task Deploy_needs_a_known_device_and_a_configuration_and_the_same_key_gives_the_same_deployment()
    {
        using var admin = await server.AdminAsync();
        (await admin.PostAsJsonAsync($"/api/management/v1/deviceconfig/configurations/device/{Guid.NewGuid()}/deploy", new { })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var device = await server.AcceptedDeviceAsync();
        var url = $"/api/management/v1/deviceconfig/configurations/device/{device.Id}";
        using (var none = await admin.PostAsJsonAsync(url + "/deploy", new { }))
        {
            none.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await none.Content.ReadAsStringAsync()).ShouldContain("no configuration");
        }

        (await admin.PutAsJsonAsync(url, Kiosk)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url + "/deploy") { Content = JsonContent.Create(new { }) };
            request.Headers.Add("Idempotency-Key", "config-" + device.Id);
            using var response = await admin.SendAsync(request);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deployment_id").GetString()!);
        }

        ids.Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task A_configuration_must_be_a_flat_object()
    {
        using var admin = await server.AdminAsync();
        using var device = await server.AcceptedDeviceAsync();
        var url = $"/api/management/v1/deviceconfig/configurations/device/{device.Id}";
        using var nested = await admin.PutAsJsonAsync(url, new { a = new { b = "c" } });
        nested.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await nested.Content.ReadAsStringAsync()).ShouldContain("must be a string");
        (await admin.PutAsJsonAsync(url, new[] { "x" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await admin.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await device.SendAsync(HttpMethod.Put, "/api/devices/v1/deviceconfig/configuration", "not an object")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static (string Type, Dictionary<string, string> MetaData) ReadConfigurationArtifact(byte[] artifact)
    {
        using var outer = new TarReader(new MemoryStream(artifact));
        while (outer.GetNextEntry() is { } entry)
        {
            if (entry.Name != "header.tar.gz")
            {
                continue;
            }

            using var inner = new TarReader(new GZipStream(entry.DataStream!, CompressionMode.Decompress));
            string? type = null;
            Dictionary<string, string>? meta = null;
            while (inner.GetNextEntry() is { } header)
            {
                using var reader = new StreamReader(header.DataStream!);
                var text = reader.ReadToEnd();
                if (header.Name == "headers/0000/type-info")
                {
                    type = JsonDocument.Parse(text).RootElement.GetProperty("type").GetString();
                }
                else if (header.Name == "headers/0000/meta-data")
                {
                    meta = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
                }
            }

            return (type!, meta!);
        }

        throw new InvalidOperationException("no header.tar.gz");
    }
}
