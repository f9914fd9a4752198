using Gitfleet.Core.Delivery;
using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Rollouts;

/// <summary>What the planner and the status read of the rollout: its input, the offline devices, prices and transfers.</summary>
public sealed partial class RolloutWork
{
    /// <summary>Which rollout devices are offline and not done (a count and a hash of their ids): what time alone changes in a decision.</summary>
    public (int Count, int Hash) Offline()
    {
        var (count, hash) = (0, 0);
        foreach (var row in Rows.Values)
        {
            if (RolloutRules.IsDone(row.State, row.Attempts, target.Policy.Retries) || !target.TryFind(row.DeviceId, out var i))
            {
                continue;
            }

            if (RolloutRules.IsOffline(evaluations[i].Facts?.LastCheckIn, now, target.Policy.OfflineTimeout))
            {
                count++;
                hash ^= StringComparer.Ordinal.GetHashCode(row.DeviceId);
            }
        }

        return (count, hash);
    }

    /// <param name="seed">Orders the devices into waves (the target's commit).</param>
    /// <param name="costs">The catalog's prices, when the branch has a byte budget: each device's download is priced.</param>
    public RolloutInput ToInput(string seed, TransferCosts? costs = null) => new()
    {
        Policy = target.Policy,
        DownloadBytes = costs is null ? new Dictionary<string, long>() : prices = Prices(costs),
        Progress = Progress,
        Now = now,
        Seed = seed,
        DependsOn = target.DependsOn,
        Calendars = target.Calendars,
        DeclaredPause = target.Paused,
        Devices = Rows.Values.Where(r => target.TryFind(r.DeviceId, out _)).Select(r =>
        {
            target.TryFind(r.DeviceId, out var i);
            var scheduled = r.State == RolloutDeviceState.Scheduled;
            var (phase, since) = scheduled ? memory.PhaseOf(r.DeviceId) : (UpdatePhase.Pending, null);
            return new RolloutDevice
            {
                Key = r.DeviceId,
                State = r.State,
                Attempts = r.Attempts,
                Groups = target.GroupsFor(i),
                LastCheckIn = evaluations[i].Facts?.LastCheckIn,
                LastError = r.LastError,
                Failure = r.State == RolloutDeviceState.Failed ? FailureReason.KindOf(r.LastError) : null,
                StartedAt = memory.StartOf(r.DeviceId) ?? (scheduled ? r.ChangedAt : null),
                ChangedAt = r.ChangedAt,
                Phase = phase,
                PhaseSince = since,
                Windows = target.WindowsOf[i],
            };
        }).ToList(),
    };

    /// <summary>
    /// What each rollout device downloads: a started device what its start was priced at; a device still to start
    /// (or started before this server did) its delta or full image from the catalog, as <c>plan</c> estimates it;
    /// nothing for a configuration-only change.
    /// </summary>
    private Dictionary<string, long> Prices(TransferCosts costs)
    {
        var result = new Dictionary<string, long>(Rows.Count, StringComparer.Ordinal);
        foreach (var row in Rows.Values)
        {
            var due = row.State is RolloutDeviceState.Waiting or RolloutDeviceState.Failed;
            if (!due && memory.DownloadOf(row.DeviceId) is { } priced)
            {
                result[row.DeviceId] = priced;
            }
            else if (target.TryFind(row.DeviceId, out var i) && evaluations[i] is { Facts: { } facts, Os: { To: { } to } os }
                && (os.Kind is ActionKind.Update or ActionKind.InFlight || IsForced(row.DeviceId)))
            {
                var cost = costs.Cost(new TransferDevice(row.DeviceId, facts.DeviceType, os.From, to, DeltaSupport.Applies(facts.Attributes)));
                result[row.DeviceId] = cost.BytesEach ?? 0;
            }
        }

        return result;
    }

    /// <summary>
    /// The rollout's devices that download an OS image, each with how far its download is, for the status's bytes
    /// over the air. A device's base is the image it ran when a decision first saw it need the update (noted in the
    /// memory here, since a finished device runs the target): devices that finished before this server started are
    /// not known to have moved an image and are left out.
    /// </summary>
    public List<(TransferDevice Device, DownloadProgress Progress)> NoteTransferDevices()
    {
        var result = new List<(TransferDevice, DownloadProgress)>();
        foreach (var row in Rows.Values)
        {
            if (!target.TryFind(row.DeviceId, out var i) || evaluations[i].Facts is not { } facts)
            {
                continue;
            }

            var os = evaluations[i].Os;
            string? from;
            if (os.Kind is ActionKind.Update or ActionKind.InFlight || IsForced(row.DeviceId))
            {
                from = os.From;
                memory.NoteBase(row.DeviceId, from);
                memory.TryBase(row.DeviceId, out from);
            }
            else if (!memory.TryBase(row.DeviceId, out from))
            {
                continue;
            }

            var progress = RolloutTransfer.ProgressOf(row.State, memory.PhaseOf(row.DeviceId).Phase, retryLeft: row.Attempts <= target.Policy.Retries);
            result.Add((new TransferDevice(row.DeviceId, facts.DeviceType, from, target.ImageFor(i), DeltaSupport.Applies(facts.Attributes)), progress));
        }

        return result;
    }
}
