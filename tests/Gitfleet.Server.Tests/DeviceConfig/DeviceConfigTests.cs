using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Tests.Support;

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
