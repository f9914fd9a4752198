using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Variables;

/// <summary>One layer of variables: a group_vars or host_vars file, an inline inventory <c>vars:</c> block, an overlay.</summary>
public sealed record VariableSet(string Origin, YamlMap Values)
{
    public static VariableSet Empty(string origin) => new(origin, new YamlMap(SourceLocation.OfFile(origin)));

    public bool IsEmpty => Values.Count == 0;
}
