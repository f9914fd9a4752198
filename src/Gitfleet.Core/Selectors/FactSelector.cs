using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Selectors;

/// <summary>
/// A dynamic group's <see cref="Selector"/> compiled for device facts: its keys parsed once (<see cref="FactKey"/>)
/// and its parts held in arrays, so testing one of 200,000 devices reads the facts directly, with no lookup
/// delegate, enumerator or key parse per test. Matches exactly as <c>Selector.Matches(FactLabels.For(device))</c>
/// does; a selector naming <c>groups</c> matches no device (fact selectors cannot test group membership).
/// </summary>
internal sealed class FactSelector
{
    private readonly (FactKey Key, string Expected)[] labels;
    private readonly (FactKey Key, SelectorRequirement Requirement)[] requirements;
    private readonly bool namesGroups;

    public FactSelector(Selector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        labels = [.. selector.MatchLabels.Select(l => (FactKey.Parse(l.Key), l.Value))];
        requirements = [.. selector.MatchExpressions.Select(r => (FactKey.Parse(r.Key), r))];
        namesGroups = selector.Groups.Count > 0;
    }

    public bool Matches(DeviceFacts device)
    {
        foreach (var (key, expected) in labels)
        {
            if (!string.Equals(key.Of(device), expected, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var (key, requirement) in requirements)
        {
            if (!requirement.MatchesValue(key.Of(device)))
            {
                return false;
            }
        }

        return !namesGroups;
    }
}
