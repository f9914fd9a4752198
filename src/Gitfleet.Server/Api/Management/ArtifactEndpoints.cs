using Gitfleet.Server.Artifacts;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>deployments v1 artifacts and releases: upload (multipart), list, get, delete, download link.</summary>
internal static class ArtifactEndpoints
{
    private const string Base = "/api/management/v1/deployments/artifacts";

    public static void MapArtifactsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Base, async (HttpContext context, ArtifactService artifacts, ServerOptions options, CancellationToken cancellationToken) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = options.MaxArtifactBytes + (1024 * 1024);
            }

            var artifact = await ArtifactUpload.ReadAsync(context.Request, options, artifacts, cancellationToken).ConfigureAwait(false);
            return Results.Created($"{Base}/{artifact.Id}", null);
        });
        app.MapGet(Base, async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var name = context.Request.Query["name"].ToString();
            var list = await store.ListArtifactsAsync(name.Length == 0 ? null : name, includeGenerated: false, cancellationToken).ConfigureAwait(false);
            return Results.Ok(list.Select(MenderShapes.Artifact).ToList());
        });
        app.MapGet(Base + "/{id}", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok(MenderShapes.Artifact(await UploadedAsync(store, id, cancellationToken).ConfigureAwait(false))));
        app.MapDelete(Base + "/{id}", async (string id, ArtifactService artifacts, CancellationToken cancellationToken) =>
        {
            await artifacts.DeleteAsync(id, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet(Base + "/{id}/download", async (string id, HttpContext context, IFleetStore store, DownloadLinks links, ServerOptions options, CancellationToken cancellationToken) =>
        {
            _ = await UploadedAsync(store, id, cancellationToken).ConfigureAwait(false);
            var (uri, expires) = links.Create(context.Request.BaseUri(), DownloadLinks.ArtifactKind, id, options.DownloadLinkLifetime);
            return Results.Ok(new LinkShape(uri, expires));
        });
        app.MapGet("/api/management/v1/deployments/deployments/releases", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var name = context.Request.Query["name"].ToString();
            var list = await store.ListArtifactsAsync(name.Length == 0 ? null : name, includeGenerated: false, cancellationToken).ConfigureAwait(false);
            return Results.Ok(list.GroupBy(a => a.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new ReleaseShape(g.Key, g.Select(MenderShapes.Artifact).ToList(), g.Count())).ToList());
        });
    }

    /// <summary>
    /// An uploaded artifact. Generated configuration artifacts are not served here (they are not listed either): they
    /// carry a device's configuration, secrets included, and only the devices they are deployed to download them.
    /// </summary>
    private static async Task<Storage.Model.ArtifactRecord> UploadedAsync(IFleetStore store, string id, CancellationToken cancellationToken) =>
        await store.GetArtifactAsync(id, cancellationToken).ConfigureAwait(false) is { Generated: false } artifact
            ? artifact
            : throw ApiException.NotFound($"artifact {id} not found");

    private sealed record LinkShape(string Uri, DateTimeOffset Expire);
}
