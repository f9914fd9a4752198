using Gitfleet.Server.Api.Redaction;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>
/// Traceability: which commit put this image and this configuration on a device, and when. The device's
/// deployments, newest first, with their trace; configuration values of secret keys show as ***.
/// </summary>
internal static class DeviceHistoryEndpoints
{
    public static void MapDeviceHistoryApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/management/v1/gitfleet/devices/{id}/history", async (string id, IFleetStore store, RolloutEngine engine, CancellationToken cancellationToken) =>
        {
            var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
            var history = await store.ListDeviceHistoryAsync(id, cancellationToken).ConfigureAwait(false);
            if (history.Count == 0 && await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                throw ApiException.NotFound($"device {id} not found");
            }

            return Results.Ok(history.Select(view => Entry(view, redactor)).ToList());
        });

    private static HistoryEntry Entry(DeviceDeploymentView view, SecretRedactor redactor)
    {
        var (row, deployment) = (view.Device, view.Deployment);
        var configuration = deployment.Kind == DeploymentKinds.Configuration;
        return new HistoryEntry(
            deployment.Id,
            deployment.Name,
            deployment.Kind,
            configuration ? null : deployment.ArtifactName,
            configuration ? deployment.ArtifactName : null,
            deployment.ConfigurationChecksum,
            configuration && deployment.Configuration is { } values ? redactor.Map(values, deployment.SecretKeys ?? []) : null,
            StatusNames.Of(row.Status),
            row.Attempts,
            row.CreatedAt,
            row.FinishedAt,
            deployment.Trace is { } trace ? new TraceShape(trace.Branch, trace.Commit, trace.Author, trace.Subject) : null);
    }

    private sealed record HistoryEntry(
        string DeploymentId,
        string Name,
        string Kind,
        string? Image,
        string? ArtifactName,
        string? ConfigurationChecksum,
        IReadOnlyDictionary<string, string>? Configuration,
        string Status,
        int Attempts,
        DateTimeOffset Created,
        DateTimeOffset? Finished,
        TraceShape? Trace);
}
