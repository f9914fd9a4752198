using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Device.Tests.Support;

/// <summary>
/// The few device API endpoints a Mender client needs to authenticate, send inventory, report its configuration
/// and take one deployment, over real HTTP on 127.0.0.1. A stand-in until the end-to-end tests run against
/// Gitfleet's server.
/// </summary>
internal sealed class DeviceApiStandIn : IAsyncDisposable
{
    public const string Token = "device-token-for-tests";

    private readonly WebApplication app;

    private DeviceApiStandIn(WebApplication app) => this.app = app;

    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public ConcurrentQueue<(string Authorization, string Body)> ConfigurationReports { get; } = new();

    public ConcurrentQueue<Dictionary<string, JsonElement>> InventoryReports { get; } = new();

    /// <summary>Statuses the device reported for the offered deployment, in order.</summary>
    public ConcurrentQueue<string> Statuses { get; } = new();

    /// <summary>The deployment log the device sent (it sends one only when the deployment failed).</summary>
    public string DeploymentLog => deploymentLog;

    private volatile string deploymentLog = "";

    private volatile Offer? offer;

    private sealed record Offer(string Id, string ArtifactName, string Path);

    /// <summary>Offers the artifact to the device on its next update check, until it reports a final status.</summary>
    public void OfferDeployment(string artifactPath, string artifactName) =>
        offer = new Offer(Guid.NewGuid().ToString(), artifactName, artifactPath);

    /// <summary>The device reported a final status: the deployment is no longer offered.</summary>
    public bool FinalStatusReported => Statuses.Any(status => status is "success" or "failure" or "already-installed");

    /// <summary>
    /// The device is done with the deployment: a final status, and after a failure also the log, which the client
    /// sends after its failure status (waiting for the status alone let a test read the log before it came).
    /// </summary>
    public bool Finished => FinalStatusReported && (!Statuses.Contains("failure") || DeploymentLog.Length > 0);

    public static async Task<DeviceApiStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new DeviceApiStandIn(app);
        app.MapPost("/api/devices/v1/authentication/auth_requests", () => Results.Text(Token));
        app.MapMethods("/api/devices/v1/inventory/device/attributes", ["PUT", "PATCH"], async (HttpRequest request) =>
        {
            var attributes = await JsonSerializer.DeserializeAsync<List<Dictionary<string, JsonElement>>>(request.Body);
            standIn.InventoryReports.Enqueue(attributes!.ToDictionary(a => a["name"].GetString()!, a => a["value"]));
            return Results.Ok();
        });
        app.MapPost("/api/devices/{version}/deployments/device/deployments/next", (HttpRequest request) =>
            standIn.offer is { } current && !standIn.FinalStatusReported
                ? Results.Json(new
                {
                    id = current.Id,
                    artifact = new
                    {
                        artifact_name = current.ArtifactName,
                        source = new { uri = $"{request.Scheme}://{request.Host}/download/{current.Id}", expire = DateTime.UtcNow.AddHours(1) },
                        device_types_compatible = new[] { MenderClient.DeviceType },
                    },
                })
                : Results.NoContent());
        app.MapGet("/download/{id}", (string id) =>
            standIn.offer is { } current && current.Id == id
                ? Results.File(current.Path, "application/vnd.mender-artifact")
                : Results.NotFound());
        app.MapPut("/api/devices/v1/deployments/device/deployments/{id}/status", async (HttpRequest request) =>
        {
            using var status = await JsonDocument.ParseAsync(request.Body);
            standIn.Statuses.Enqueue(status.RootElement.GetProperty("status").GetString()!);
            return Results.NoContent();
        });
        app.MapPut("/api/devices/v1/deployments/device/deployments/{id}/log", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            standIn.deploymentLog = await reader.ReadToEndAsync();
            return Results.NoContent();
        });
        app.MapPut("/api/devices/v1/deviceconfig/configuration", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            standIn.ConfigurationReports.Enqueue((request.Headers.Authorization.ToString(), await reader.ReadToEndAsync()));
            return Results.NoContent();
        });
        await app.StartAsync();
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
