using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Delivery;

/// <summary>A device that needs a new OS image: what it runs, what it gets, and whether it applies deltas.</summary>
public sealed record TransferDevice(string Key, string? DeviceType, string? From, string To, bool AppliesDeltas);

/// <summary>
/// Estimates the bytes a change moves, wave by wave, as the rollout engine would schedule it: the rollout's devices
/// in the planner's stable order for the commit (<see cref="RolloutWaves.Assign"/>), cut into the policy's
/// cumulative waves; per device the delta from its installed image when the device applies deltas and both images
/// are delta-capable in the catalog (ready: its size; not generated yet: the full size, marked pending), else the
/// full artifact. Pure: the catalog and the devices come in. A running rollout's status uses the same grouping
/// (<see cref="RolloutTransfer"/>).
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
        var (waveOf, _) = RolloutWaves.Assign(rolloutKeys, seed, policy);
        var index = new Dictionary<string, int>(rolloutKeys.Count, StringComparer.Ordinal);
        for (var i = 0; i < rolloutKeys.Count; i++)
        {
            index[rolloutKeys[i]] = waveOf[i];
        }

        var last = Math.Max(0, policy.Waves.Count - 1);
        return Group(devices.Select(d => (index.GetValueOrDefault(d.Key, last), d, (DownloadProgress?)null)).ToList(), new TransferCosts(catalog));
    }

    /// <summary>Prices each device and sums per wave and per (from, to, device type, method); counts progress when given.</summary>
    internal static TransferEstimate Group(IReadOnlyList<(int Wave, TransferDevice Device, DownloadProgress? Progress)> devices, TransferCosts lookup)
    {
        var costs = devices.Select(d => (d.Wave, d.Device, d.Progress, Cost: lookup.Cost(d.Device))).ToList();
        var waves = costs.GroupBy(c => c.Wave).OrderBy(g => g.Key).Select(g =>
        {
            var groups = g.GroupBy(c => (c.Device.From, c.Device.To, c.Device.DeviceType, c.Cost.Method, c.Cost.BytesEach, c.Cost.Note))
                .Select(x => new TransferGroup
                {
                    From = x.Key.From, To = x.Key.To, DeviceType = x.Key.DeviceType, Method = x.Key.Method,
                    Devices = x.Count(), BytesEach = x.Key.BytesEach, Note = x.Key.Note,
                    Moved = Count(x, DownloadProgress.Moved), ToMove = Count(x, DownloadProgress.ToMove),
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

        static int? Count(IEnumerable<(int, TransferDevice, DownloadProgress? Progress, TransferCost)> group, DownloadProgress progress) =>
            group.Any(c => c.Progress is not null) ? group.Count(c => c.Progress == progress) : null;
    }
}
