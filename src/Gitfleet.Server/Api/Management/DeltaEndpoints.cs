using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>
/// Delta artifacts the server generated (docs/api.md): list them with their state, size and saving; prepare one ahead of
/// a rollout (so devices never wait and byte estimates are exact); delete one so it is generated again on demand (after
/// fixing what made it fail). Otherwise deltas are made when the first device needs one.
/// </summary>
internal static class DeltaEndpoints
{
    private const string Base = "/api/management/v1/gitfleet/deltas";

    public static void MapDeltaApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Base, async (IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok((await store.ListDeltasAsync(cancellationToken).ConfigureAwait(false)).Select(Shape)));
        app.MapPost(Base, async (HttpContext context, IFleetStore store, DeltaRequests requests, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<PrepareBody>(context, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(body.From) || string.IsNullOrEmpty(body.To) || string.IsNullOrEmpty(body.DeviceType))
            {
                throw ApiException.BadRequest("from (the installed image), to (the target artifact's name) and device_type are required");
            }

            var baseArtifact = await requests.FindImageAsync(body.From, body.DeviceType, cancellationToken).ConfigureAwait(false)
                ?? throw ApiException.Unprocessable($"no image artifact of '{body.From}' for device type {body.DeviceType} to make a delta from (it must be a gitfleet-ab artifact with an image file)");
            var target = (await store.ListArtifactsAsync(body.To, includeGenerated: false, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(a => a.DeviceTypes.Contains(body.DeviceType, StringComparer.Ordinal) && DeltaSource.Of(a) is not null)
                ?? throw ApiException.Unprocessable($"no image artifact named '{body.To}' for device type {body.DeviceType} to make a delta to");
            var delta = await requests.RequestAsync(baseArtifact, DeltaSource.Of(baseArtifact)!, target, DeltaSource.Of(target)!, body.DeviceType, cancellationToken).ConfigureAwait(false);
            return Results.Accepted($"{Base}/{delta.Id}", Shape(delta));
        }).RequireRole(Roles.Operator);
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

    private sealed record PrepareBody(string? From, string? To, string? DeviceType);

    private sealed record DeltaShape(
        string Id, string From, string To, string DeviceType, string BaseArtifactId, string TargetArtifactId, string State, string Format,
        long? Size, long FullSize, double? PercentOfFull, string? Error, DateTimeOffset Started, DateTimeOffset? Finished, long? GenerationMs);
}
