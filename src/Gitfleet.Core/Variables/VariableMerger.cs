using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Variables;

/// <summary>
/// Merges variable layers in order, later layers winning. Top-level keys replace (lists and maps included, as
/// Ansible's default hash_behaviour=replace does), except <c>labels</c>, which merges key by key.
/// </summary>
public sealed class VariableMerger
{
    public const string GroupPriorityVariable = "ansible_group_priority";

    private readonly Dictionary<string, object?> values;
    private readonly Dictionary<string, SourceLocation> origins;
    private readonly Dictionary<string, string> labels;

    public VariableMerger()
    {
        values = new Dictionary<string, object?>(StringComparer.Ordinal);
        origins = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>Starts from an earlier merge result (copied, so the earlier result stays as it was).</summary>
    public VariableMerger(MergedVariables start)
    {
        ArgumentNullException.ThrowIfNull(start);
        values = new Dictionary<string, object?>(start.Values, StringComparer.Ordinal);
        origins = new Dictionary<string, SourceLocation>(start.Origins, StringComparer.Ordinal);
        labels = new Dictionary<string, string>(start.Labels, StringComparer.Ordinal);
    }

    /// <param name="groupInline">The layer is a group's inline vars, where ansible_group_priority orders groups and
    /// (as in Ansible) is not a variable; anywhere else it is an ordinary one.</param>
    public VariableMerger Add(VariableSet? layer, bool groupInline = false)
    {
        if (layer is null)
        {
            return this;
        }

        foreach (var (key, value) in layer.Values)
        {
            if (groupInline && key == GroupPriorityVariable)
            {
                continue;
            }

            origins[key] = layer.Values.KeyLocation(key);
            if (key == ReservedVariables.Labels)
            {
                values[key] = null; // Placeholder; Build() writes the merged labels.
            }

            if (key == ReservedVariables.Labels && value is YamlMap map)
            {
                foreach (var (label, labelValue) in map)
                {
                    if (ScalarText(labelValue) is { } text)
                    {
                        labels[label] = text;
                    }
                }

                continue;
            }

            values[key] = value;
        }

        return this;
    }

    /// <summary>The merge result. Call once: the merger hands its dictionaries over to the result.</summary>
    public MergedVariables Build()
    {
        if (values.ContainsKey(ReservedVariables.Labels))
        {
            // Templates see labels as an ordinary map of strings.
            values[ReservedVariables.Labels] = labels.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal);
        }

        return new MergedVariables(values, origins, labels);
    }

    private static string? ScalarText(object? value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}
