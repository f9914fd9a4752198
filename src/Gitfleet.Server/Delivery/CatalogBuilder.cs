using Gitfleet.Core.Delivery;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>The server's <see cref="TransferCatalog"/>: its OS artifacts (size, delta-capable) and the deltas it generated.</summary>
internal sealed class CatalogBuilder(IFleetStore store)
{
    public async Task<TransferCatalog> BuildAsync(CancellationToken cancellationToken)
    {
        var artifacts = await store.ListArtifactsAsync(null, includeGenerated: false, cancellationToken).ConfigureAwait(false);
        var deltas = await store.ListDeltasAsync(cancellationToken).ConfigureAwait(false);
        return new TransferCatalog
        {
            Artifacts = artifacts.Select(a =>
            {
                var source = DeltaSource.Of(a);
                var info = source is null ? a.Metadata : null;
                return new CatalogArtifact
                {
                    Name = a.Name,
                    Image = source?.Version ?? info!.Provides.GetValueOrDefault(Core.Facts.DeviceFacts.RootfsImageVersionAttribute),
                    DeviceTypes = a.DeviceTypes,
                    Size = a.Size,
                    DeltaCapable = source is not null,
                };
            }).ToList(),
            Deltas = deltas.Select(d => new CatalogDelta
            {
                From = d.BaseImage,
                To = d.TargetImage,
                DeviceType = d.Key.DeviceType,
                State = d.State switch
                {
                    DeltaState.Ready => CatalogDelta.Ready,
                    DeltaState.Failed => CatalogDelta.Failed,
                    _ => CatalogDelta.Generating,
                },
                Size = d.Size,
            }).ToList(),
        };
    }
}
