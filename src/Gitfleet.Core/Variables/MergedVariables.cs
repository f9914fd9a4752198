using Gitfleet.Core.Diagnostics;

namespace Gitfleet.Core.Variables;

/// <summary>
/// A device's variables after merging every layer that applies to it, with the place each winning value was
/// written (for diagnostics: "configuration set in host_vars/x.yml:4:1"). Values are shared with the parsed
/// files, never copied; treat them as read-only.
/// </summary>
public sealed class MergedVariables
{
    public MergedVariables(Dictionary<string, object?> values, Dictionary<string, SourceLocation> origins, Dictionary<string, string> labels)
    {
        Values = values;
        Origins = origins;
        Labels = labels;
    }

    public Dictionary<string, object?> Values { get; }

    public Dictionary<string, SourceLocation> Origins { get; }

    /// <summary>The merged <c>labels</c> map (labels merge key by key across layers).</summary>
    public Dictionary<string, string> Labels { get; }

    public object? this[string name] => Values.GetValueOrDefault(name);

    public SourceLocation? OriginOf(string name) => Origins.GetValueOrDefault(name);

    public string? GetString(string name) => Values.GetValueOrDefault(name) as string;
}
