using Gitfleet.Core.Delivery;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Devices;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>What a device gets for an OS deployment at this check-in.</summary>
internal abstract record DeltaChoice
{
    private DeltaChoice()
    {
    }

    /// <summary>The full artifact (no delta applies, or it failed before, or waiting is over).</summary>
    public sealed record Full(string Why) : DeltaChoice;

    /// <summary>The delta is being generated: nothing now (204), ask again at the next poll.</summary>
    public sealed record Wait : DeltaChoice;

    /// <summary>This delta artifact.</summary>
    public sealed record Delta(DeltaRecord Record) : DeltaChoice;
}

/// <summary>
/// The check-in's delta decision for one OS device deployment. A device gets a delta when it announces the format
/// (inventory <c>gitfleet_delta_formats</c>), its installed image and the target both have a delta-capable form on
/// this server, and it did not fail this delta before; the first device that needs a pair claims its generation
/// (once, across every server) and devices wait for it up to <see cref="DeliveryOptions.DeltaWait"/>.
/// Everything else gets the full image, so a device without the module never sees a delta.
/// </summary>
internal sealed class DeltaOffers(
    IFleetStore store,
    DeviceProvides provides,
    DeltaRequests requests,
    DeliveryOptions options,
    TimeProvider time)
{
    public async Task<DeltaChoice> ChooseAsync(DeviceDeploymentRecord row, DeploymentRecord deployment, ArtifactRecord full, string? deviceType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(full);
        if (!options.DeltaUpdates || deployment.Kind != DeploymentKinds.Os || deviceType is null)
        {
            return new DeltaChoice.Full("deltas do not apply");
        }

        var attributes = await InventoryAsync(row.DeviceId, cancellationToken).ConfigureAwait(false);
        if (!DeltaSupport.Applies(attributes))
        {
            return new DeltaChoice.Full("the device does not announce delta support");
        }

        // The check-in's own provides are the freshest word on the installed image; the inventory's come next.
        var installed = provides.RootfsVersion(row.DeviceId) ?? attributes.GetValueOrDefault(DeviceFacts.RootfsImageVersionAttribute);
        if (DeltaSource.Of(full) is not { } target || installed is null || installed == target.Version)
        {
            return new DeltaChoice.Full("the target has no image file, or the installed image is unknown");
        }

        var baseArtifact = await requests.FindImageAsync(installed, deviceType, cancellationToken).ConfigureAwait(false);
        if (baseArtifact is null || DeltaSource.Of(baseArtifact) is not { } source || source.Image.Name != target.Image.Name)
        {
            return new DeltaChoice.Full($"no delta-capable artifact of the installed image '{installed}' on this server");
        }

        var delta = await requests.RequestAsync(baseArtifact, source, full, target, deviceType, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        switch (delta.State)
        {
            case DeltaState.Generating:
                return now - delta.ClaimedAt < options.DeltaWait ? new DeltaChoice.Wait() : new DeltaChoice.Full("the delta took too long to generate");
            case DeltaState.Failed:
                return new DeltaChoice.Full("the delta could not be generated: " + delta.Error);
        }

        if (await store.DeltaFailedBeforeAsync(row.DeviceId, delta.Id, row.Id, row.Attempts, cancellationToken).ConfigureAwait(false))
        {
            return new DeltaChoice.Full("this delta failed on the device before");
        }

        await store.RecordDeltaOfferAsync(new DeltaOfferRecord(row.Id, row.Attempts, row.DeviceId, delta.Id, now), cancellationToken).ConfigureAwait(false);
        return new DeltaChoice.Delta(delta);
    }

    private async Task<Dictionary<string, string>> InventoryAsync(string deviceId, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in await store.GetAttributesAsync([deviceId], cancellationToken).ConfigureAwait(false))
        {
            if (attribute.Scope is not (AttributeScope.Inventory or AttributeScope.Provides) || (attribute.Scope == AttributeScope.Provides && values.ContainsKey(attribute.Name)))
            {
                continue;
            }

            values[attribute.Name] = attribute.Text;
        }

        return values;
    }
}
