using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.EndToEnd;

/// <summary>The real mender-cli 1.9: login, artifact upload and list, device list. (1.9 has no artifact download.)</summary>
public sealed class MenderCliTests(TestServer server) : IClassFixture<TestServer>, IDisposable
{
    private readonly TempDirectory work = new("gitfleet-cli");

    [MenderFact]
    public async Task Mender_cli_logs_in_uploads_and_lists_artifacts_and_lists_devices()
    {
        using var cli = new MenderCliTool(server.BaseUri.ToString().TrimEnd('/'));
        using var device = await server.AcceptedDeviceAsync();
        var login = await cli.RunAsync("login", "--username", "admin", "--password", TestServer.AdminPassword);
        login.Succeeded.ShouldBeTrue(login.StandardError);
        (login.StandardOutput + login.StandardError).ShouldContain("login successful");

        var artifact = await MenderArtifactTool.WriteSingleFileAsync(work.Path, "cli-1", "raspberrypi4");
        var upload = await cli.RunAsync("artifacts", "upload", "--no-progress", "--description", "from mender-cli", artifact);
        upload.Succeeded.ShouldBeTrue(upload.StandardError + upload.StandardOutput);
        var duplicate = await cli.RunAsync("artifacts", "upload", "--no-progress", artifact);
        (duplicate.StandardOutput + duplicate.StandardError).ShouldContain("409");

        var list = await cli.RunAsync("artifacts", "list", "--detail", "2");
        list.Succeeded.ShouldBeTrue(list.StandardError);
        list.StandardOutput.ShouldContain("Name: cli-1");
        list.StandardOutput.ShouldContain("raspberrypi4");
        list.StandardOutput.ShouldContain("Type: single-file");

        var devices = await cli.RunAsync("devices", "list");
        devices.Succeeded.ShouldBeTrue(devices.StandardError);
        devices.StandardOutput.ShouldContain($"ID: {device.Id}");
        devices.StandardOutput.ShouldContain("Status: accepted");

        using var admin = await server.AdminAsync();
        var stored = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts?name=cli-1");
        stored[0].GetProperty("description").GetString().ShouldBe("from mender-cli");
    }

    public void Dispose() => work.Dispose();
}
