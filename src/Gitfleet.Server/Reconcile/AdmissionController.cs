using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// Admission as code. Devices declared in git by identity and public key are preauthorized, so they are
/// accepted on their first request; a pending device whose identity contains a declared identity (and whose key
/// matches when git declares one) is accepted; with autoAccept a branch accepts the pending devices it
/// subscribes. Every other device stays pending for an operator.
/// </summary>
internal sealed partial class AdmissionController(IFleetStore store, DeviceService devices, ILogger<AdmissionController> logger)
{
    public async Task RunAsync(IReadOnlyList<TargetIndex> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var declared = targets.SelectMany(t => t.Admissions).ToList();
        var autoAccept = targets.Where(t => t.AutoAccept)
            .SelectMany(t => t.Problems.Where(p => p.Code == PlanProblemCodes.NotAccepted && p.DeviceId is not null).Select(p => p.DeviceId!))
            .ToHashSet(StringComparer.Ordinal);
        if (declared.Count == 0 && autoAccept.Count == 0)
        {
            return;
        }

        // A declared key that is not a usable key admits nobody (rather than any key).
        var admissions = declared.Select(a => new Admission(a, NormalizedKey(a)))
            .Where(a => a.Key is not null || string.IsNullOrWhiteSpace(a.Declared.PublicKey)).ToList();
        await AcceptPendingAsync(admissions, autoAccept, cancellationToken).ConfigureAwait(false);
        await PreauthorizeAsync(admissions, cancellationToken).ConfigureAwait(false);
    }

    private async Task AcceptPendingAsync(List<Admission> admissions, HashSet<string> autoAccept, CancellationToken cancellationToken)
    {
        var pending = new List<DeviceRecord>();
        for (var page = 1; ; page++)
        {
            var batch = await store.ListDevicesAsync(new DeviceQuery { Status = AuthStatus.Pending, Page = page, PerPage = 500 }, cancellationToken).ConfigureAwait(false);
            pending.AddRange(batch.Items);
            if (batch.Items.Count < 500)
            {
                break;
            }
        }

        if (pending.Count == 0)
        {
            return;
        }

        var authSets = (await store.GetAuthSetsAsync(pending.Select(d => d.Id).ToList(), cancellationToken).ConfigureAwait(false)).ToLookup(a => a.DeviceId);
        foreach (var device in pending)
        {
            var sets = authSets[device.Id].Where(a => a.Status == AuthStatus.Pending).OrderByDescending(a => a.CreatedAt).ToList();
            var match = admissions.FirstOrDefault(a => Contains(device.Identity, a.Declared.Identity));
            var authSet = match is null
                ? (autoAccept.Contains(device.Id) ? sets.FirstOrDefault() : null)
                : sets.FirstOrDefault(s => match.Key is null || s.PublicKey == match.Key);
            if (authSet is null)
            {
                continue;
            }

            try
            {
                await devices.SetAuthSetStatusAsync(device.Id, authSet.Id, DeviceStatus.Accepted, cancellationToken).ConfigureAwait(false);
                LogAccepted(device.Id, match is null ? "the branch auto-accepts the devices it subscribes" : $"declared in git as '{match.Declared.Host}'");
            }
            catch (DomainException e) when (e.Error == DomainError.NotFound)
            {
                // Decommissioned meanwhile: nothing to admit.
            }
        }
    }

    /// <summary>Declared identities with a key and no device yet become preauthorized devices.</summary>
    private async Task PreauthorizeAsync(List<Admission> admissions, CancellationToken cancellationToken)
    {
        var withKey = admissions.Where(a => a.Key is not null)
            .GroupBy(a => DeviceIdentity.Key(a.Declared.Identity), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        if (withKey.Count == 0)
        {
            return;
        }

        var existing = (await store.FindByIdentityKeysAsync(withKey.Keys, cancellationToken).ConfigureAwait(false)).Select(d => d.IdentityKey).ToHashSet(StringComparer.Ordinal);
        foreach (var (_, admission) in withKey.Where(kv => !existing.Contains(kv.Key)))
        {
            try
            {
                var device = await devices.PreauthorizeAsync(new Dictionary<string, string>(admission.Declared.Identity, StringComparer.Ordinal), admission.Key!, cancellationToken).ConfigureAwait(false);
                LogPreauthorized(device.Id, admission.Declared.Host);
            }
            catch (DomainException e) when (e.Error == DomainError.Conflict)
            {
                // The device authenticated meanwhile: it is pending, and accepted by the next run.
            }
        }
    }

    private string? NormalizedKey(TargetAdmission admission)
    {
        if (string.IsNullOrWhiteSpace(admission.PublicKey))
        {
            return null;
        }

        try
        {
            return DevicePublicKey.Normalize(admission.PublicKey);
        }
        catch (FormatException)
        {
            LogBadKey(admission.Host);
            return null;
        }
    }

    private static bool Contains(IReadOnlyDictionary<string, string> identity, IReadOnlyDictionary<string, string> declared) => DeviceIdentity.Contains(identity, declared);

    private sealed record Admission(TargetAdmission Declared, string? Key);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Accepted device {DeviceId}: {Why}")]
    private partial void LogAccepted(string deviceId, string why);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Preauthorized device {DeviceId} declared in git as '{Host}'")]
    private partial void LogPreauthorized(string deviceId, string host);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Host '{Host}' declares a public key that is not a usable RSA, ECDSA P-256 or Ed25519 key; it is not admitted")]
    private partial void LogBadKey(string host);
}
