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
/// The few device API endpoints a Mender client needs to authenticate, send inventory and report its
/// configuration, over real HTTP on 127.0.0.1. A stand-in until the end-to-end tests run against Gitfleet's server.
/// </summary>
internal sealed class DeviceApiStandIn : IAsyncDisposable
{
    public const string Token = "device-token-for-tests";

    private readonly WebApplication app;

    private DeviceApiStandIn(WebApplication app) => this.app = app;

    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public ConcurrentQueue<(string Authorization, string Body)> ConfigurationReports { get; } = new();

    public ConcurrentQueue<Dictionary<string, JsonElement>> InventoryReports { get; } = new();

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
        app.MapPost("/api/devices/{version}/deployments/device/deployments/next", () => Results.NoContent());
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
