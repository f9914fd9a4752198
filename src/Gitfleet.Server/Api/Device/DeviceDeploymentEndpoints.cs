using System.Text.Json;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Metrics;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api.Device;

/// <summary>
/// Deployments, device side. next is the hot path: with nothing pending for the device it answers 204 from the
/// in-memory index without touching the store; the body is only scanned for the rootfs-image.version it provides.
/// </summary>
internal static class DeviceDeploymentEndpoints
{
    private const string Base = "/api/devices/v1/deployments/device/deployments";

    public static void MapDeviceDeploymentsApi(this IEndpointRouteBuilder app)
    {
        // (context, cancellationToken) rather than a bare RequestDelegate, so the endpoints appear in the OpenAPI document.
        app.MapPost("/api/devices/v2/deployments/device/deployments/next", (HttpContext context, CancellationToken _) => NextAsync(context, NextBody.V2));
        app.MapPost(Base + "/next", (HttpContext context, CancellationToken _) => NextAsync(context, NextBody.V1));
        app.MapGet(Base + "/next", (HttpContext context, CancellationToken _) => NextAsync(context, NextBody.Query));
        app.MapGet("/api/devices/v2/deployments/device/deployments/{id}/update_control_map", ControlMapAsync);
        app.MapPut(Base + "/{id}/status", StatusAsync);
        app.MapPut(Base + "/{id}/log", LogAsync);
    }

    private enum NextBody
    {
        V2,
        V1,
        Query,
    }

    private static async Task NextAsync(HttpContext context, NextBody shape)
    {
        var device = context.Device();
        var services = context.RequestServices;
        var metrics = services.GetRequiredService<ServerMetrics>();
        var cancellationToken = context.RequestAborted;
        var pending = services.GetRequiredService<Devices.DeviceRegistry>().HasPending(device.Id);
        string? artifactName;
        string? deviceType;
        var controlMaps = false;
        if (shape == NextBody.Query)
        {
            if (!pending)
            {
                NothingToDo(context, metrics);
                return;
            }

            (artifactName, deviceType) = (context.Request.Query["artifact_name"].ToString(), context.Request.Query["device_type"].ToString());
        }
        else
        {
            var limit = services.GetRequiredService<Hosting.ServerOptions>().MaxJsonBodyBytes;
            using var body = await CheckInBody.ReadAsync(context.Request, limit, cancellationToken).ConfigureAwait(false);
            WellFormedText.CheckJson(body.Span);
            body.ObserveRootfsVersion(shape == NextBody.V2, device.Id, services.GetRequiredService<Devices.DeviceService>());
            if (!pending)
            {
                NothingToDo(context, metrics);
                return;
            }

            (artifactName, deviceType, controlMaps) = ParseProvides(body.Memory, shape);
        }

        // A device of a rollout with maintenance windows installs only inside its window: a client that honours
        // update control maps gets the deployment at once with a map (it downloads, then asks before installing);
        // any other client is offered it only while its window is open (docs/device.md, "Update control map").
        var gate = services.GetRequiredService<InstallHolds>().For(device.DeviceId);
        if (gate.Held && !controlMaps)
        {
            NothingToDo(context, metrics);
            return;
        }

        var deployments = services.GetRequiredService<DeploymentService>();
        var offer = await deployments.NextAsync(device.Id, NullIfEmpty(artifactName), NullIfEmpty(deviceType), context.Request.BaseUri(), cancellationToken).ConfigureAwait(false);
        metrics.CheckIn(offered: offer is not null);
        if (offer is null)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await context.Response.WriteAsJsonAsync(new OfferBody(offer.DeploymentId, new OfferArtifact(
            offer.Delta?.Id ?? offer.Artifact.Id, offer.Artifact.Name, new OfferSource(offer.Uri, offer.Expires), offer.Delta is { } delta ? [delta.Key.DeviceType] : offer.Artifact.DeviceTypes))
        {
            UpdateControlMap = gate.Gated && controlMaps ? UpdateControlMap.For(offer.DeploymentId, gate.Held) : null,
        }, ApiJson.Options, cancellationToken).ConfigureAwait(false);
    }

    private static void NothingToDo(HttpContext context, ServerMetrics metrics)
    {
        metrics.CheckIn(offered: false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>The current control map of one of the device's unfinished deployments; 404 tells the client it was aborted.</summary>
    private static async Task<IResult> ControlMapAsync(string id, HttpContext context, DeploymentService deployments, InstallHolds holds, CancellationToken cancellationToken)
    {
        var device = context.Device();
        if (!await deployments.IsUnfinishedAsync(device.DeviceId, id, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.NotFound($"deployment {id} is not an unfinished deployment of this device");
        }

        return Results.Json(new ControlMapBody(UpdateControlMap.For(id, holds.For(device.DeviceId).Held)), ApiJson.Options);
    }

    private static (string? ArtifactName, string? DeviceType, bool ControlMaps) ParseProvides(ReadOnlyMemory<byte> body, NextBody shape)
    {
        if (body.IsEmpty)
        {
            throw ApiException.BadRequest("the request body is empty; device_provides expected");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var provides = document.RootElement;
            var controlMaps = false;
            if (shape == NextBody.V2)
            {
                controlMaps = provides.ValueKind == JsonValueKind.Object && provides.TryGetProperty("update_control_map", out var flag) && flag.ValueKind == JsonValueKind.True;
                if (provides.ValueKind != JsonValueKind.Object || !provides.TryGetProperty("device_provides", out provides))
                {
                    throw ApiException.BadRequest("device_provides is required");
                }
            }

            if (provides.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest("device provides must be a JSON object");
            }

            return (Text(provides, "artifact_name"), Text(provides, "device_type"), controlMaps);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("malformed JSON: " + e.Message);
        }
    }

    private static async Task<IResult> StatusAsync(string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<StatusBody>(context, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(body.Status))
        {
            throw ApiException.BadRequest("status is required");
        }

        if (!StatusNames.TryParse(body.Status, out DeviceDeploymentState status))
        {
            throw DeploymentService.UnknownReport(body.Status);
        }

        await deployments.ReportStatusAsync(context.Device().DeviceId, id, status, body.Substate, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> LogAsync(string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken)
    {
        var raw = await JsonBody.ReadBytesAsync(context, cancellationToken).ConfigureAwait(false);
        var body = JsonBody.Parse<LogBody>(raw);
        if (body.Messages is not { Count: > 0 } messages)
        {
            throw ApiException.BadRequest("messages must be a non-empty list");
        }

        if (messages.Any(m => m is null || m.Message is null))
        {
            throw ApiException.BadRequest("every log message needs a message");
        }

        await deployments.SaveLogAsync(context.Device().DeviceId, id, messages.Select(m => new DeploymentLogMessage(m!.Level, m.Message!, m.Timestamp)).ToList(), cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? JsonText.Of(value) : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed record StatusBody(string? Status, string? Substate);

    private sealed record LogBody(List<LogMessage>? Messages);

    internal sealed record LogMessage(string? Level, string? Message, string? Timestamp);

    private sealed record OfferBody(string Id, OfferArtifact Artifact)
    {
        /// <summary>Left out (null) for devices that do not install by maintenance windows.</summary>
        public UpdateControlMap? UpdateControlMap { get; init; }
    }

    private sealed record ControlMapBody(UpdateControlMap UpdateControlMap);

    private sealed record OfferArtifact(string Id, string ArtifactName, OfferSource Source, IReadOnlyList<string> DeviceTypesCompatible);

    private sealed record OfferSource(string Uri, DateTimeOffset Expire);
}
