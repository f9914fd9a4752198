using Gitfleet.Server.Deployments;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Model;

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

    /// <param name="baseUri">Where the device reached the server (its own links are built under it).</param>
    public (string Uri, DateTimeOffset Expires) ForArtifact(Uri baseUri, DeviceDeploymentRecord row, ArtifactRecord artifact) =>
        offloaded?.Create(artifact.FileName, options.DownloadLinkLifetime)
        ?? links.Create(baseUri, DownloadLinks.DeviceKind, row.Id + "_" + artifact.Id, options.DownloadLinkLifetime);

    public (string Uri, DateTimeOffset Expires) ForDelta(Uri baseUri, DeviceDeploymentRecord row, DeltaRecord delta) =>
        offloaded?.Create(DeltaFiles.RelativeDeltaPath(delta.FileName!), options.DownloadLinkLifetime)
        ?? links.Create(baseUri, DownloadLinks.DeltaKind, row.Id + "_" + delta.Id, options.DownloadLinkLifetime);
}
