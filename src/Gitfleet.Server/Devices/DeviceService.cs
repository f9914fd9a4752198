using Gitfleet.Core.Facts;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Devices;

/// <summary>What a device's auth request came to: accepted (a token may be issued), or why not.</summary>
public enum AuthRequestResult
{
    Accepted,

    /// <summary>The device or this auth set waits for an operator (pending), or was rejected.</summary>
    NotAccepted,

    /// <summary>The signature does not verify with the key the request carries.</summary>
    BadSignature,

    /// <summary>The request would write and the caller's gate (the API edge's throttle) refused it.</summary>
    Refused,
}

/// <summary>An auth request's outcome, with the device's id (null for a bad signature) and the auth set's status.</summary>
public sealed record AuthRequestAnswer(AuthRequestResult Result, string? DeviceId, string? AuthSetStatus);

/// <summary>
/// The one owner of device state. Every change of a device's auth state, inventory, tags, group, check-ins and
/// pending deployments goes through here: the store is written first, and what memory serves (the device
/// registry the hot path reads, the pending index, the provided values) is updated only after the commit, in one
/// place. Endpoints, the admission controller, the deployment service and the rollout engine call this service
/// and never write the registry themselves, so a rejected or decommissioned device loses access on its very next
/// request, whichever path changed it. Changes that other replicas commit arrive here too, through the change feed
/// (DeviceService.Replicas.cs); <paramref name="freshness"/> says when memory may answer for a store that other
/// replicas write too.
/// </summary>
public sealed partial class DeviceService(IFleetStore store, DeviceRegistry registry, DeviceProvides provides, TimeProvider time, StoreFreshness? freshness = null)
{
    /// <summary>Striped locks: the memory of one device is brought up to date by one caller at a time.</summary>
    private readonly SemaphoreSlim[] stripes = [.. Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>
    /// A device's signed auth request. The signature is checked first (on the request's own thread, so many run
    /// on every core at once); a pair known as accepted is answered from memory (on a shared store, once memory is
    /// current: <see cref="AcceptedFromMemoryAsync"/>) or else from a read; anything else is one write (a new
    /// device or auth set becomes pending; a preauthorized one becomes accepted).
    /// </summary>
    /// <param name="mayWrite">
    /// Asked before a request that would write (a new device, or a new key for a known one; its argument says
    /// whether a device would be created); false refuses it. A known identity with its known key never asks.
    /// </param>
    public async Task<AuthRequestAnswer> AuthenticateAsync(
        IReadOnlyDictionary<string, string> identity, string publicKeyPem, ReadOnlyMemory<byte> signedBody, ReadOnlyMemory<byte> signature,
        Func<bool, bool>? mayWrite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        using var key = DevicePublicKey.Parse(publicKeyPem);
        if (!key.Verify(signedBody.Span, signature.Span))
        {
            return new AuthRequestAnswer(AuthRequestResult.BadSignature, null, null);
        }

        var identityKey = DeviceIdentity.Key(identity);
        if (await AcceptedFromMemoryAsync(identityKey, key.Pem, cancellationToken).ConfigureAwait(false) is { } acceptedId)
        {
            return new AuthRequestAnswer(AuthRequestResult.Accepted, acceptedId.ToString(), DeviceStatus.Accepted);
        }

        var generation = acceptedKeys.Generation;
        var known = await store.FindAuthSetAsync(identity, key.Pem, cancellationToken).ConfigureAwait(false);
        AuthRequestOutcome outcome;
        if (known is not { AuthSet.Status: AuthStatus.Accepted, Device.Status: AuthStatus.Accepted })
        {
            if (known?.AuthSet is null && mayWrite?.Invoke(known is null) == false)
            {
                return new AuthRequestAnswer(AuthRequestResult.Refused, known?.Device.Id, null);
            }

            outcome = await store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, key.Pem, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            var device = await RefreshAsync(outcome.Device.Id).ConfigureAwait(false);
            outcome = device is null ? outcome : outcome with { Device = device };
        }
        else
        {
            outcome = new AuthRequestOutcome(known.Device, known.AuthSet, Created: false);
            if (registry.StatusOf(known.Device.Id) is null)
            {
                await RefreshAsync(known.Device.Id).ConfigureAwait(false);
            }

            if (Shared)
            {
                // What the store said when read; dropped again by any change of the device since the read began.
                acceptedKeys.AddUnlessChanged(known.Device.Id, identityKey, key.Pem, generation);
            }
        }

        var accepted = outcome.AuthSet.Status == AuthStatus.Accepted && outcome.Device.Status == AuthStatus.Accepted;
        return new AuthRequestAnswer(accepted ? AuthRequestResult.Accepted : AuthRequestResult.NotAccepted, outcome.Device.Id, StatusNames.Of(outcome.AuthSet.Status));
    }

    /// <summary>
    /// On a shared store: the device, when this identity is accepted with this key as far as memory knows and memory
    /// holds every change committed before this request (a rejection through another replica included); else null,
    /// and the store is asked. Looked up again after the freshness check, since a change may have landed meanwhile.
    /// Alone on a store (SQLite), the store's read is an in-process prepared read, and memory is not asked.
    /// </summary>
    private async ValueTask<Guid?> AcceptedFromMemoryAsync(string identityKey, string publicKeyPem, CancellationToken cancellationToken)
    {
        if (!Shared || acceptedKeys.Find(identityKey, publicKeyPem) is not { } candidate || !registry.IsAccepted(candidate)
            || !await Freshness.IsCurrentAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return acceptedKeys.Find(identityKey, publicKeyPem) is { } id && id == candidate && registry.IsAccepted(id) ? id : null;
    }

    /// <summary>A device an operator (or git) declares with its identity and key: accepted on its first auth request.</summary>
    public async Task<DeviceRecord> PreauthorizeAsync(IReadOnlyDictionary<string, string> identity, string publicKeyPem, CancellationToken cancellationToken)
    {
        using var key = DevicePublicKey.Parse(publicKeyPem);
        var device = await store.PreauthorizeAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, key.Pem, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.Conflict("a device with this identity already exists");
        await RefreshAsync(device.Id).ConfigureAwait(false);
        return device;
    }

    /// <summary>Accepts, rejects or resets (pending) one auth set; the device's status follows its auth sets.</summary>
    public async Task<DeviceRecord> SetAuthSetStatusAsync(string deviceId, string authSetId, string status, CancellationToken cancellationToken)
    {
        if (!StatusNames.TryParse(status, out AuthStatus typed) || typed is not (AuthStatus.Accepted or AuthStatus.Rejected or AuthStatus.Pending))
        {
            throw DomainException.Invalid($"status must be accepted, rejected or pending, not '{status}'");
        }

        var device = await store.SetAuthSetStatusAsync(deviceId, authSetId, typed, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"auth set {authSetId} of device {deviceId} not found");
        return await RefreshAsync(device.Id).ConfigureAwait(false) ?? device;
    }

    /// <summary>Deletes one auth set; a device without auth sets is gone (and loses access at once).</summary>
    public async Task DeleteAuthSetAsync(string deviceId, string authSetId, CancellationToken cancellationToken)
    {
        var (found, _) = await store.DeleteAuthSetAsync(deviceId, authSetId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (!found)
        {
            throw DomainException.NotFound($"auth set {authSetId} of device {deviceId} not found");
        }

        await RefreshAsync(deviceId).ConfigureAwait(false);
    }

    /// <summary>Removes the device and everything about it; its unfinished deployments end as decommissioned.</summary>
    public async Task DecommissionAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (!await store.DecommissionDeviceAsync(deviceId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            throw DomainException.NotFound($"device {deviceId} not found");
        }

        await RefreshAsync(deviceId).ConfigureAwait(false);
    }

    /// <summary>The device's own inventory: PUT replaces it, PATCH merges. Values are the attribute's texts (several for a repeated name).</summary>
    /// <remarks>
    /// A PUT of the inventory the store holds already (a device reconnecting after a restart sends what it sent
    /// before) is recognised by its digest in memory and writes nothing. The device's lock is held from the check
    /// to the memory update, so the digest in memory is always the stored inventory's. On a store shared by
    /// replicas, memory vouches for the digest only once it holds every change committed before this request
    /// (<see cref="StoreFreshness"/>): an inventory another replica stored changes the stored digest, whose change
    /// drops the digest here (<see cref="InventoryChangedElsewhereAsync"/>), so a stale equal digest never skips a
    /// real change; otherwise the store's own digest check (one read) still writes nothing for an unchanged inventory.
    /// </remarks>
    public async Task SaveInventoryAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, bool replace, CancellationToken cancellationToken)
    {
        var digest = replace ? InventoryDigest.Of(attributes) : 0;
        var unchanged = replace && digest != 0 && registry.InventoryDigest(deviceId) == digest;

        // Asked before the device's lock: one head read serves every request waiting for it.
        var current = !Shared || (unchanged && await Freshness.IsCurrentAsync(cancellationToken).ConfigureAwait(false));
        var stripe = Stripe(deviceId);
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (replace && digest != 0 && current && registry.InventoryDigest(deviceId) == digest)
            {
                return;
            }

            // Alone on the store (not shared by replicas), memory holds the stored inventory's digest (loaded at
            // start, set after every write under this lock): a PUT whose digest differs is a change, and the store
            // need not read its digest to find out. Were memory ever behind, the cost is one needless write.
            var saved = replace && digest != 0 && !Shared
                ? store.ReplaceChangedInventoryAsync(deviceId, attributes, digest, time.GetUtcNow(), cancellationToken)
                : store.SaveInventoryAsync(deviceId, attributes, replace, time.GetUtcNow(), cancellationToken);
            if (!await saved.ConfigureAwait(false))
            {
                throw DomainException.NotFound("device not found");
            }

            // The store holds this digest now (written or found equal under this lock); a change another replica
            // commits later drops it through the feed, which waits for this lock.
            registry.SetInventoryDigest(deviceId, digest);
        }
        finally
        {
            stripe.Release();
        }
    }

    public async Task SaveTagsAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> tags, bool replace, CancellationToken cancellationToken)
    {
        if (!await store.SaveTagsAsync(deviceId, tags, replace, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            throw DomainException.NotFound($"device {deviceId} not found");
        }
    }

    public async Task SetGroupAsync(string deviceId, string? group, CancellationToken cancellationToken)
    {
        if (!await store.SetGroupAsync(deviceId, group, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            throw DomainException.NotFound($"device {deviceId} not found");
        }
    }

    /// <summary>The configuration a device reports it applied.</summary>
    public Task SaveReportedConfigurationAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, CancellationToken cancellationToken) =>
        store.SetReportedAsync(deviceId, configuration, time.GetUtcNow(), cancellationToken);

    /// <summary>Hot path: an authenticated device request; the time is kept in memory and written in batches.</summary>
    public void CheckIn(Guid deviceId) => registry.CheckIn(deviceId, time.GetUtcNow());

    /// <summary>Hot path: the rootfs-image.version a check-in carried (UTF-8), queued for the store when it changed.</summary>
    public void ObserveRootfsVersion(Guid deviceId, ReadOnlySpan<byte> rootfsVersion) => provides.Observe(deviceId, rootfsVersion);

    /// <summary>Call after deployments for these devices are committed: their next check-in asks the store.</summary>
    public void DeploymentsCommitted(IEnumerable<string> deviceIds)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        foreach (var deviceId in deviceIds)
        {
            registry.MarkPending(deviceId);
        }
    }

    /// <summary>Read before asking the store whether a device has work; pass to <see cref="NothingPending"/>.</summary>
    public long PendingGeneration(string deviceId) => registry.PendingGeneration(deviceId);

    /// <summary>The store said the device has nothing unfinished (ignored when a deployment was committed since <paramref name="generation"/>).</summary>
    public void NothingPending(string deviceId, long generation) => registry.ClearPending(deviceId, generation);

    private SemaphoreSlim Stripe(string deviceId) => stripes[(StringComparer.Ordinal.GetHashCode(deviceId) & int.MaxValue) % stripes.Length];

    /// <summary>
    /// Brings memory in line with the store after a committed change: the device's status as the store has it
    /// now (or gone). Read and set under the device's lock, after the caller's commit: whatever order two racing
    /// changes commit in, the last refresh reads the last commit, so memory never keeps an older status.
    /// </summary>
    private async Task<DeviceRecord?> RefreshAsync(string deviceId)
    {
        var stripe = Stripe(deviceId);
        await stripe.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            acceptedKeys.Forget(deviceId);
            var device = await store.GetDeviceAsync(deviceId, CancellationToken.None).ConfigureAwait(false);
            if (device is null)
            {
                registry.Remove(deviceId);
                provides.Remove(deviceId);
            }
            else
            {
                registry.Set(device.Id, StatusNames.Of(device.Status));
            }

            return device;
        }
        finally
        {
            stripe.Release();
        }
    }
}
