using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Rollouts;

/// <summary>What differs between a device and its desired state, in words; configuration keys only, never values (they hold secrets).</summary>
public static class DriftDescription
{
    private const int MaxKeys = 5;

    public static string Of(DeviceEvaluation evaluation, string image)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var parts = new List<string>(2);
        if (evaluation.Os.Kind != ActionKind.None)
        {
            parts.Add($"runs {evaluation.Os.From ?? "an unknown image"}, git wants {image}");
        }

        var keys = evaluation.Configuration.Changes.Select(c => c.Key).ToList();
        if (keys.Count > 0)
        {
            parts.Add($"its configuration differs in {string.Join(", ", keys.Take(MaxKeys))}{(keys.Count > MaxKeys ? $" and {keys.Count - MaxKeys} more" : "")}");
        }
        else if (evaluation.Configuration.Kind != ActionKind.None && parts.Count == 0)
        {
            parts.Add("its configuration differs");
        }

        return parts.Count == 0 ? "differs from the desired state" : string.Join("; ", parts);
    }
}
