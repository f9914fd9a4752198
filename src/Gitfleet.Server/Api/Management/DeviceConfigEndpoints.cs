using System.Text.Json;
using Gitfleet.Server.Api.Device;
using Gitfleet.Server.Api.Redaction;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>deviceconfig, management side: the configured map (GET 200/404, PUT 204) and deploying it (200 {"deployment_id"}).</summary>
internal static class DeviceConfigEndpoints
{
    private const string Base = "/api/management/v1/deviceconfig/configurations/device/{id}";

    public static void MapDeviceConfigManagementApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Base, async (string id, IFleetStore store, RolloutEngine engine, CancellationToken cancellationToken) =>
        {
            var configuration = await store.GetConfigurationAsync(id, cancellationToken).ConfigureAwait(false);
            if (configuration is null || await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                throw ApiException.NotFound($"no configuration for device {id}");
            }

            // Secret keys: those the branch targets mark, and those the deployment that configured the device recorded.
            var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
            var deployed = configuration.DeploymentId is { } deploymentId ? await store.GetDeploymentAsync(deploymentId, cancellationToken).ConfigureAwait(false) : null;
            var secretKeys = deployed?.SecretKeys ?? [];
            return Results.Ok(new ConfigurationShape(
                id,
                redactor.Map(configuration.Configured ?? Empty, secretKeys),
                redactor.Map(configuration.Reported ?? Empty, secretKeys),
                configuration.DeploymentId,
                configuration.ReportedAt,
                configuration.ConfiguredAt));
        });
        app.MapPut(Base, async (string id, HttpContext context, IFleetStore store, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var map = ReadMap(await JsonBody.ReadAsync<JsonElement>(context, cancellationToken).ConfigureAwait(false));
            _ = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"device {id} not found");
            await store.SetConfiguredAsync(id, map, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapPost(Base + "/deploy", async (string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<DeployBody>(context, cancellationToken).ConfigureAwait(false);
            var outcome = await deployments.CreateConfigurationAsync(
                id, body.Retries ?? 0, DeploymentEndpoints.Trace(body.Trace), DeploymentEndpoints.IdempotencyKey(context), cancellationToken).ConfigureAwait(false);
            return Results.Ok(new DeployAnswer(outcome.Deployment.Id));
        });
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.Ordinal);

    private static Dictionary<string, string> ReadMap(JsonElement body) => Api.Device.DeviceConfigEndpoints.ReadFlatMap(body);

    private sealed record ConfigurationShape(
        string Id, IReadOnlyDictionary<string, string> Configured, IReadOnlyDictionary<string, string> Reported, string? DeploymentId,
        DateTimeOffset? ReportedTs, DateTimeOffset? UpdatedTs);

    private sealed record DeployBody(int? Retries, TraceBody? Trace);

    private sealed record DeployAnswer(string DeploymentId);
}
