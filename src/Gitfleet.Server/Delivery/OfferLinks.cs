using Gitfleet.Server.Deployments;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The download link in an offer: signed by the server for its own download endpoint (bound to the device
/// deployment, valid while it is unfinished), or, with <see cref="DeliveryOptions.DownloadBaseUrl"/>, a secure link to
/// the web server or CDN that serves the artifact directory.
/// </summary>
internal sealed class OfferLinks
{
    private readonly DownloadLinks links;
    private readonly ServerOptions options;
    private readonly OffloadedLinks? offloaded;

    public OfferLinks(DownloadLinks links, ServerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.links = links;
        this.options = options;
        if (options.Delivery.DownloadBaseUrl is { } baseUrl)
        {
            offloaded = new OffloadedLinks(baseUrl, options.Delivery.DownloadSecret!, time);
        }
    }

    public bool Offloaded => offloaded is not null;

    public (string Uri, DateTimeOffset Expires) ForArtifact(HttpRequest request, DeviceDeploymentRecord row, ArtifactRecord artifact) =>
        offloaded?.Create(artifact.FileName, options.DownloadLinkLifetime)
        ?? links.Create(request, DownloadLinks.DeviceKind, row.Id + "_" + artifact.Id, options.DownloadLinkLifetime);

    public (string Uri, DateTimeOffset Expires) ForDelta(HttpRequest request, DeviceDeploymentRecord row, DeltaRecord delta) =>
        offloaded?.Create(DeltaFiles.RelativeDeltaPath(delta.FileName!), options.DownloadLinkLifetime)
        ?? links.Create(request, DownloadLinks.DeltaKind, row.Id + "_" + delta.Id, options.DownloadLinkLifetime);
}
