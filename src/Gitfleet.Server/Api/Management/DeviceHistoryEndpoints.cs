using Gitfleet.Core.Resolution;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;
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
        app.MapGet("/api/management/v1/gitfleet/devices/{id}/history", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var history = await store.ListDeviceHistoryAsync(id, cancellationToken).ConfigureAwait(false);
            if (history.Count == 0 && await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                throw ApiException.NotFound($"device {id} not found");
            }

            return Results.Ok(history.Select(Entry).ToList());
        });

    private static HistoryEntry Entry(DeviceDeploymentView view)
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
            configuration && deployment.ConfigurationJson is { } json ? Redact(JsonMaps.Deserialize(json), deployment.SecretKeys) : null,
            row.Status,
            row.Attempts,
            row.CreatedAt,
            row.FinishedAt,
            deployment.Trace is { } trace ? new TraceShape(trace.Branch, trace.Commit, trace.Author, trace.Subject) : null);
    }

    /// <summary>Secret keys as the reconciler recorded them; for other deployments, keys that look secret.</summary>
    internal static Dictionary<string, string> Redact(IReadOnlyDictionary<string, string> values, IReadOnlyList<string>? secretKeys) =>
        values.ToDictionary(
            kv => kv.Key,
            kv => (secretKeys?.Contains(kv.Key) ?? LooksSecret(kv.Key)) ? RenderedConfiguration.Redacted : kv.Value,
            StringComparer.Ordinal);

    internal static bool LooksSecret(string key) =>
        new[] { "token", "password", "secret", "key", "credential" }.Any(word => key.Contains(word, StringComparison.OrdinalIgnoreCase));

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
