using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Delivery;

/// <summary>A device that needs a new OS image: what it runs, what it gets, and whether it applies deltas.</summary>
public sealed record TransferDevice(string Key, string? DeviceType, string? From, string To, bool AppliesDeltas);

/// <summary>
/// Estimates the bytes a change moves, wave by wave, as the rollout engine would schedule it: the rollout's devices
/// in the planner's stable order for the commit (<see cref="RolloutPlanner.Order"/>), cut into the policy's
/// cumulative waves; per device the delta from its installed image when the device applies deltas and both images
/// are delta-capable in the catalog (ready: its size; not generated yet: the full size, marked pending), else the
/// full artifact. Pure: the catalog and the devices come in.
/// </summary>
public static class TransferEstimator
{
    /// <param name="rolloutKeys">Every device of the rollout (OS and configuration changes): they decide the wave cuts.</param>
    /// <param name="devices">The rollout's devices that download an OS image.</param>
    public static TransferEstimate Estimate(
        IReadOnlyList<string> rolloutKeys, IReadOnlyList<TransferDevice> devices, RolloutPolicy policy, string seed, TransferCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(rolloutKeys);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(catalog);
        var ordered = RolloutPlanner.Order(rolloutKeys.Select(k => new RolloutDevice { Key = k }).ToList(), seed);
        var waveOf = new Dictionary<string, int>(ordered.Count, StringComparer.Ordinal);
        var wave = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            while (wave < policy.Waves.Count - 1 && i >= RolloutPlanner.WaveSize(policy, wave, ordered.Count))
            {
                wave++;
            }

            waveOf[ordered[i].Key] = wave;
        }

        var lookup = new TransferCosts(catalog);
        var costs = devices.Select(d => (Wave: waveOf.GetValueOrDefault(d.Key, policy.Waves.Count - 1), Device: d, Cost: lookup.Cost(d))).ToList();
        var waves = costs.GroupBy(c => c.Wave).OrderBy(g => g.Key).Select(g =>
        {
            var groups = g.GroupBy(c => (c.Device.From, c.Device.To, c.Device.DeviceType, c.Cost.Method, c.Cost.BytesEach, c.Cost.Note))
                .Select(x => new TransferGroup
                {
                    From = x.Key.From, To = x.Key.To, DeviceType = x.Key.DeviceType, Method = x.Key.Method,
                    Devices = x.Count(), BytesEach = x.Key.BytesEach, Note = x.Key.Note,
                })
                .OrderBy(x => x.To, StringComparer.Ordinal).ThenBy(x => x.DeviceType, StringComparer.Ordinal)
                .ThenBy(x => x.From, StringComparer.Ordinal).ThenBy(x => x.Method)
                .ToList();
            return new WaveTransfer { Wave = g.Key + 1, Devices = g.Count(), Bytes = groups.Sum(x => x.Bytes), Groups = groups };
        }).ToList();
        return new TransferEstimate
        {
            Waves = waves,
            FullImageBytes = costs.Sum(c => c.Cost.FullBytes ?? 0),
            UnknownDevices = costs.Count(c => c.Cost.Method == TransferMethod.Unknown),
        };
    }
}
