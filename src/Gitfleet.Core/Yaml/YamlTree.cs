using Gitfleet.Core.Diagnostics;

namespace Gitfleet.Core.Yaml;

/// <summary>
/// A YAML mapping as plain .NET values (so templates and merging see ordinary dictionaries) that remembers
/// where each key was written, for file:line:col diagnostics. Values are string, long, double, bool, null,
/// <see cref="YamlMap"/> or <see cref="YamlList"/>.
/// </summary>
public sealed class YamlMap : Dictionary<string, object?>
{
    public YamlMap(SourceLocation location)
        : base(StringComparer.Ordinal)
    {
        Location = location;
    }

    public SourceLocation Location { get; }

    /// <summary>Where each key was written (the key's position, not the value's).</summary>
    public Dictionary<string, SourceLocation> KeyLocations { get; } = new(StringComparer.Ordinal);

    /// <summary>Where each value starts (useful when a value, not its key, is wrong).</summary>
    public Dictionary<string, SourceLocation> ValueLocations { get; } = new(StringComparer.Ordinal);

    public SourceLocation KeyLocation(string key) => KeyLocations.TryGetValue(key, out var l) ? l : Location;

    public SourceLocation ValueLocation(string key) => ValueLocations.TryGetValue(key, out var l) ? l : KeyLocation(key);
}

/// <summary>A YAML sequence as a list of plain values, remembering where each item starts.</summary>
public sealed class YamlList : List<object?>
{
    public YamlList(SourceLocation location)
    {
        Location = location;
    }

    public SourceLocation Location { get; }

    public List<SourceLocation> ItemLocations { get; } = [];

    public SourceLocation ItemLocation(int index) => index < ItemLocations.Count ? ItemLocations[index] : Location;
}
