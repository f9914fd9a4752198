using Gitfleet.Server.Delivery;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>
/// Delta artifacts the server generated (docs/api.md): list them with their state, size and saving, and delete one so
/// it is generated again on demand (after fixing what made it fail). Deltas are made on demand when a device needs one.
/// </summary>
internal static class DeltaEndpoints
{
    private const string Base = "/api/management/v1/gitfleet/deltas";

    public static void MapDeltaApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Base, async (IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok((await store.ListDeltasAsync(cancellationToken).ConfigureAwait(false)).Select(Shape)));
        app.MapDelete(Base + "/{id}", async (string id, IFleetStore store, DeltaFiles files, CancellationToken cancellationToken) =>
        {
            var removed = await store.DeleteDeltasAsync(id, null, cancellationToken).ConfigureAwait(false);
            if (removed.Count == 0)
            {
                throw ApiException.NotFound($"delta {id} not found");
            }

            foreach (var delta in removed.Where(d => d.FileName is not null))
            {
                File.Delete(files.DeltaPath(delta.FileName!));
            }

            return Results.NoContent();
        });
    }

    private static DeltaShape Shape(DeltaRecord delta) => new(
        delta.Id, delta.BaseImage, delta.TargetImage, delta.Key.DeviceType, delta.Key.BaseArtifactId, delta.Key.TargetArtifactId,
        delta.State.ToString().ToLowerInvariant(), delta.Format, delta.Size, delta.TargetSize,
        delta.Size is { } size && delta.TargetSize > 0 ? Math.Round(100.0 * size / delta.TargetSize, 2) : null,
        delta.Error, delta.ClaimedAt, delta.FinishedAt, delta.GenerationMs);

    private sealed record DeltaShape(
        string Id, string From, string To, string DeviceType, string BaseArtifactId, string TargetArtifactId, string State, string Format,
        long? Size, long FullSize, double? PercentOfFull, string? Error, DateTimeOffset Started, DateTimeOffset? Finished, long? GenerationMs);
}
