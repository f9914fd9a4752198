using System.Runtime.CompilerServices;

namespace Gitfleet.Core.Rollouts;

/// <summary>One wave of a rollout: its devices by state and when they last changed.</summary>
public sealed record WaveSummary(int Number, int CumulativeSize, int Devices, int Waiting, int InProgress, int Succeeded, int Failed, int Aborted, DateTimeOffset? LastChange)
{
    public bool Done => Waiting == 0 && InProgress == 0;
}

/// <summary>Devices that failed for the same reason.</summary>
public sealed record FailureGroup(string Class, string Reason, int Count, IReadOnlyList<string> Devices);

/// <summary>
/// A rollout's devices per wave and its failures grouped by reason, from one decision's snapshot. Computed once
/// per decision and shared by every reader (metrics scrapes, dashboard pages); the wave order (a hash per
/// device) is kept while the rollout's devices stay the same.
/// </summary>
public sealed class RolloutBreakdown
{
    public const int DevicesPerGroup = 50;

    private static readonly ConditionalWeakTable<IReadOnlyDictionary<string, RolloutDeviceRecord>, RolloutBreakdown> Cache = new();
    private static readonly ConditionalWeakTable<TargetIndex, WaveOrder> Orders = new();

    public required IReadOnlyList<WaveSummary> Waves { get; init; }

    public required IReadOnlyList<FailureGroup> Failures { get; init; }

    public required IReadOnlyDictionary<string, int> FailuresByClass { get; init; }

    /// <summary>The wave (1-based) of a rollout device, or 0 when it is not one.</summary>
    public required Func<string, int> WaveOf { get; init; }

    /// <summary>The breakdown of one decision's rollout devices (<paramref name="rows"/>, an immutable snapshot: computed once per snapshot).</summary>
    public static RolloutBreakdown Of(TargetIndex target, IReadOnlyDictionary<string, RolloutDeviceRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rows);
        return Cache.GetValue(rows, r => Build(target, r));
    }

    /// <summary>The wave (0-based) of each rollout device and each wave's cumulative size, kept while the rollout's devices stay the same.</summary>
    public static (IReadOnlyDictionary<string, int> Index, int[] Sizes) WavesOf(TargetIndex target, IReadOnlyDictionary<string, RolloutDeviceRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rows);
        return Orders.GetValue(target, _ => new WaveOrder()).For(target, rows);
    }

    private static RolloutBreakdown Build(TargetIndex target, IReadOnlyDictionary<string, RolloutDeviceRecord> rows)
    {
        var (index, sizes) = WavesOf(target, rows);
        var waves = new int[sizes.Length, 5];
        var lastChange = new DateTimeOffset?[sizes.Length];
        var groups = new Dictionary<string, (string Class, int Count, List<string> Devices)>(StringComparer.Ordinal);
        var classes = FailureClass.All.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        foreach (var row in rows.Values)
        {
            var wave = index.TryGetValue(row.DeviceId, out var w) ? w : sizes.Length - 1;
            var column = row.State switch
            {
                RolloutDeviceState.Waiting => 0,
                RolloutDeviceState.Scheduled => 1,
                RolloutDeviceState.Succeeded => 2,
                RolloutDeviceState.Failed => 3,
                _ => 4,
            };
            waves[wave, column]++;
            if (lastChange[wave] is not { } seen || row.ChangedAt > seen)
            {
                lastChange[wave] = row.ChangedAt;
            }

            if (row.State == RolloutDeviceState.Failed)
            {
                var reason = row.LastError ?? "failed";
                var cls = FailureClass.Of(reason);
                classes[cls]++;
                if (!groups.TryGetValue(reason, out var group))
                {
                    group = (cls, 0, []);
                }

                if (group.Devices.Count < DevicesPerGroup)
                {
                    group.Devices.Add(row.DeviceId);
                }

                groups[reason] = (cls, group.Count + 1, group.Devices);
            }
        }

        var summaries = new List<WaveSummary>(sizes.Length);
        for (var w = 0; w < sizes.Length; w++)
        {
            var devices = waves[w, 0] + waves[w, 1] + waves[w, 2] + waves[w, 3] + waves[w, 4];
            summaries.Add(new WaveSummary(w + 1, sizes[w], devices, waves[w, 0], waves[w, 1], waves[w, 2], waves[w, 3], waves[w, 4], lastChange[w]));
        }

        return new RolloutBreakdown
        {
            Waves = summaries,
            Failures = groups.Select(g => new FailureGroup(g.Value.Class, g.Key, g.Value.Count, [.. g.Value.Devices.Order(StringComparer.Ordinal)]))
                .OrderByDescending(g => g.Count).ThenBy(g => g.Reason, StringComparer.Ordinal).ToList(),
            FailuresByClass = classes,
            WaveOf = id => index.TryGetValue(id, out var w) ? w + 1 : 0,
        };
    }

    /// <summary>The wave of each rollout device for one target; computed again only when the rollout's devices change.</summary>
    private sealed class WaveOrder
    {
        private readonly Lock gate = new();
        private (int Count, long Hash, Dictionary<string, int> Index, int[] Sizes)? last;

        public (Dictionary<string, int> Index, int[] Sizes) For(TargetIndex target, IReadOnlyDictionary<string, RolloutDeviceRecord> rows)
        {
            long hash = 0;
            foreach (var id in rows.Keys)
            {
                hash += StringComparer.Ordinal.GetHashCode(id);
            }

            lock (gate)
            {
                if (last is { } known && known.Count == rows.Count && known.Hash == hash)
                {
                    return (known.Index, known.Sizes);
                }

                var keys = rows.Keys.ToList();
                var (waveOf, sizes) = RolloutWaves.Assign(keys, target.Commit.Sha, target.Policy);
                var index = new Dictionary<string, int>(keys.Count, StringComparer.Ordinal);
                for (var i = 0; i < keys.Count; i++)
                {
                    index[keys[i]] = waveOf[i];
                }

                last = (rows.Count, hash, index, sizes);
                return (index, sizes);
            }
        }
    }
}
