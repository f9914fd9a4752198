using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The delta-capable OS artifacts by (image version, device type): what a check-in looks up for the image a device
/// runs, one dictionary lookup instead of listing (and for an image the server does not have, scanning) every
/// artifact. Built from one listing of the store when first needed; dropped when an artifact is uploaded or deleted
/// (through this server, or another replica's change in the store's change feed), and read again at the latest
/// <see cref="MaxAge"/> after it was (a missed change shows within that). Memory: one entry per delta-capable
/// artifact and device type, whatever images devices report.
/// </summary>
internal sealed class ImageArtifacts(IFleetStore store, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile Snapshot? snapshot;
    private long version;

    /// <summary>How many times the index was read from the store (for tests: a check-in must not list artifacts).</summary>
    public int Loads { get; private set; }

    /// <summary>The delta-capable artifact for <paramref name="deviceType"/> whose image version is <paramref name="image"/>; an artifact named after the image first.</summary>
    public async Task<ArtifactRecord?> FindAsync(string image, string deviceType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(deviceType);
        var current = snapshot;
        if (current is null || !current.Fresh(Interlocked.Read(ref version), time.GetUtcNow()))
        {
            current = await LoadAsync(cancellationToken).ConfigureAwait(false);
        }

        return current.Artifacts.GetValueOrDefault((image, deviceType));
    }

    /// <summary>An artifact was uploaded or deleted: the next lookup reads the store again.</summary>
    public void Invalidate() => Interlocked.Increment(ref version);

    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The version is read before the listing: a change committed after it started bumps it and is read next time.
            var seen = Interlocked.Read(ref version);
            var now = time.GetUtcNow();
            if (snapshot is { } current && current.Fresh(seen, now))
            {
                return current;
            }

            var artifacts = new Dictionary<(string Image, string DeviceType), ArtifactRecord>();
            foreach (var artifact in await store.ListArtifactsAsync(null, includeGenerated: false, cancellationToken).ConfigureAwait(false))
            {
                if (DeltaSource.Of(artifact) is not { } source)
                {
                    continue;
                }

                foreach (var deviceType in artifact.DeviceTypes)
                {
                    var key = (source.Version, deviceType);
                    if (!artifacts.TryGetValue(key, out var known) || (known.Name != source.Version && artifact.Name == source.Version))
                    {
                        artifacts[key] = artifact;
                    }
                }
            }

            Loads++;
            var loaded = new Snapshot(artifacts, seen, now);
            snapshot = loaded;
            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    private sealed record Snapshot(Dictionary<(string Image, string DeviceType), ArtifactRecord> Artifacts, long Version, DateTimeOffset ReadAt)
    {
        public bool Fresh(long version, DateTimeOffset now) => Version == version && now - ReadAt < MaxAge && now >= ReadAt;
    }
}
