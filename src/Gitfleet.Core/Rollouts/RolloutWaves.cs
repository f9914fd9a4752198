using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// Which wave each device of a rollout belongs to: the planner's stable order cut at each wave's cumulative
/// size. For views of a rollout (the dashboard's waves, per-wave metrics); the planner decides with the same order.
/// </summary>
public static class RolloutWaves
{
    /// <summary>The wave (0-based) of each key, in the order of <paramref name="keys"/>, and each wave's cumulative size.</summary>
    public static (int[] WaveOf, int[] Sizes) Assign(IReadOnlyList<string> keys, string seed, RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(policy);
        var total = keys.Count;
        var sizes = new int[policy.Waves.Count];
        for (var w = 0; w < sizes.Length; w++)
        {
            sizes[w] = Math.Min(total, RolloutPlanner.WaveSize(policy, w, total));
        }

        var position = new Dictionary<string, int>(total, StringComparer.Ordinal);
        for (var i = 0; i < total; i++)
        {
            position[keys[i]] = i;
        }

        var ordered = RolloutPlanner.Order(keys.Select(k => new RolloutDevice { Key = k }).ToList(), seed);
        var waveOf = new int[total];
        var wave = 0;
        for (var rank = 0; rank < ordered.Count; rank++)
        {
            while (wave < sizes.Length - 1 && rank >= sizes[wave])
            {
                wave++;
            }

            waveOf[position[ordered[rank].Key]] = wave;
        }

        return (waveOf, sizes);
    }
}
