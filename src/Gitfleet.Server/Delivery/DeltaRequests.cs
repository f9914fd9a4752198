using Gitfleet.Core.Delivery;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// Asks for the delta between two image artifacts for a device type: the first asker (across every server sharing the
/// store) claims its generation and queues it here; everyone else gets the row as it stands. A generating row whose
/// lease ran out (its server died) is claimed again. Used by check-ins and by operators who prepare deltas ahead.
/// </summary>
internal sealed class DeltaRequests(IFleetStore store, DeltaQueue queue, ImageArtifacts images, DeliveryOptions options, TimeProvider time)
{
    /// <summary>Identifies this server process in generation claims.</summary>
    private readonly string instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    public async Task<DeltaRecord> RequestAsync(
        ArtifactRecord baseArtifact, DeltaSource baseSource, ArtifactRecord target, DeltaSource targetSource, string deviceType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseArtifact);
        ArgumentNullException.ThrowIfNull(target);
        var key = new DeltaKey(baseArtifact.Id, target.Id, deviceType);
        var delta = await store.GetDeltaAsync(key, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (delta is not null && !(delta.State == DeltaState.Generating && delta.ClaimedAt < now - options.DeltaTimeout))
        {
            return delta;
        }

        var claim = await store.ClaimDeltaAsync(new DeltaRecord
        {
            Id = Guid.CreateVersion7().ToString(),
            Key = key,
            State = DeltaState.Generating,
            Format = DeltaSupport.Xdelta3,
            BaseImage = baseSource.Version,
            TargetImage = targetSource.Version,
            TargetSize = target.Size,
            ClaimedBy = instance,
            ClaimedAt = now,
        }, now - options.DeltaTimeout, cancellationToken).ConfigureAwait(false);
        if (claim.Claimed)
        {
            queue.Enqueue(claim.Delta);
        }

        return claim.Delta;
    }

    /// <summary>The delta-capable OS artifact for <paramref name="deviceType"/> whose image version is <paramref name="image"/> (usually its name).</summary>
    public Task<ArtifactRecord?> FindImageAsync(string image, string deviceType, CancellationToken cancellationToken) =>
        images.FindAsync(image, deviceType, cancellationToken);
}
