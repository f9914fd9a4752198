using Gitfleet.Server.Artifacts;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Deployments;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api;

/// <summary>Serves artifact files behind signed, expiring links, with HTTP Range (206) so downloads resume.</summary>
internal static class DownloadEndpoints
{
    private const string ContentType = "application/vnd.mender-artifact";

    public static void MapDownloads(this IEndpointRouteBuilder app) =>
        app.MapMethods(DownloadLinks.Prefix + "/{kind}/{id}/{expires}/{signature}", ["GET", "HEAD"], DownloadAsync);

    private static async Task<IResult> DownloadAsync(
        string kind, string id, string expires, string signature, DownloadLinks links, IFleetStore store, ArtifactService artifacts, DeltaFiles deltaFiles,
        CancellationToken cancellationToken)
    {
        if (links.Validate(kind, id, expires, signature) is { } problem)
        {
            throw ApiException.Forbidden(problem);
        }

        string artifactId;
        if (kind is DownloadLinks.DeviceKind or DownloadLinks.DeltaKind)
        {
            var parts = id.Split('_');
            var row = parts.Length == 2 ? await store.GetDeviceDeploymentByIdAsync(parts[0], cancellationToken).ConfigureAwait(false) : null;
            if (row is null || row.Status.IsFinished())
            {
                throw ApiException.Forbidden("the deployment behind this link is no longer active");
            }

            if (kind == DownloadLinks.DeltaKind)
            {
                var delta = await store.GetDeltaByIdAsync(parts[1], cancellationToken).ConfigureAwait(false);
                return delta is { State: DeltaState.Ready, FileName: { } file }
                    ? Results.File(deltaFiles.DeltaPath(file), ContentType, delta.TargetImage + ".delta.mender", enableRangeProcessing: true)
                    : throw ApiException.NotFound("the delta no longer exists");
            }

            artifactId = parts[1];
        }
        else
        {
            artifactId = id;
        }

        var artifact = await store.GetArtifactAsync(artifactId, cancellationToken).ConfigureAwait(false)
            ?? throw ApiException.NotFound("the artifact no longer exists");
        return Results.File(artifacts.PathOf(artifact), ContentType, artifact.Name + ".mender", enableRangeProcessing: true);
    }
}
