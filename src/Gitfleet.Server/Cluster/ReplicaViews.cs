using Gitfleet.Server.Devices;
using Gitfleet.Server.Security;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// The memory views the hot path serves, as this replica loads them at start and refreshes them from the store when
/// the change feed names a key, each through its one owner: device statuses and pending work through the
/// <see cref="DeviceService"/>, active access tokens and revoked login sessions through the <see cref="AccessTokenService"/>.
/// This class writes no view itself. <see cref="Position"/> is the feed position read before the first load, so no
/// change can fall between the two.
/// </summary>
internal sealed class ReplicaViews(DeviceService devices, StoreFreshness freshness, AccessTokenService accessTokens)
{
    /// <summary>The feed position the views were loaded at (memory holds every change through it).</summary>
    public long Position
    {
        get => freshness.Applied;
        set => freshness.MarkApplied(value);
    }

    /// <summary>How far the views have taken in the change feed (the follower marks each batch it applied).</summary>
    public StoreFreshness Freshness => freshness;

    /// <summary>True once the views were loaded (readiness).</summary>
    public bool Loaded { get; private set; }

    /// <summary>The devices the change feed names, through the device service (the one owner of device state).</summary>
    public DeviceService Devices => devices;

    /// <summary>The tokens and sessions the change feed names, through the access token service (their one owner).</summary>
    public AccessTokenService AccessTokens => accessTokens;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await devices.LoadAsync(cancellationToken).ConfigureAwait(false);
        await accessTokens.LoadAsync(cancellationToken).ConfigureAwait(false);
        Loaded = true;
    }

    /// <summary>Everything again (changes were missed for good).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await devices.ReloadAsync(cancellationToken).ConfigureAwait(false);
        await accessTokens.LoadAsync(cancellationToken).ConfigureAwait(false);
    }
}
