namespace Gitfleet.Core.Selectors;

public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// <summary>One <c>matchExpressions</c> entry, with Kubernetes semantics.</summary>
public sealed record SelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return MatchesValue(lookup(Key));
    }

    /// <summary>Whether a label's value (null when the label is absent) meets this requirement.</summary>
    public bool MatchesValue(string? value) => Operator switch
    {
        SelectorOperator.In => value is not null && Lists(value),
        // As in Kubernetes, NotIn also matches when the label is absent.
        SelectorOperator.NotIn => value is null || !Lists(value),
        SelectorOperator.Exists => value is not null,
        SelectorOperator.DoesNotExist => value is null,
        _ => false,
    };

    // A loop, not LINQ: dynamic groups test this on every device of a fleet.
    private bool Lists(string value)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (string.Equals(Values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// A label selector as Rancher Fleet and Kubernetes write it (<c>matchLabels</c>, <c>matchExpressions</c>), plus
/// <c>groups</c>: membership in any of the named inventory groups. All parts must match (AND); an empty selector
/// matches everything.
/// </summary>
public sealed record Selector(
    IReadOnlyDictionary<string, string> MatchLabels,
    IReadOnlyList<SelectorRequirement> MatchExpressions,
    IReadOnlyList<string> Groups)
{
    public static readonly Selector Everything = new(new Dictionary<string, string>(), [], []);

    /// <param name="lookup">Returns the value of a label (or fact), null when absent.</param>
    /// <param name="isMember">Tells whether the device belongs to a group; only consulted when <see cref="Groups"/> is set.</param>
    public bool Matches(Func<string, string?> lookup, Func<string, bool>? isMember = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        foreach (var (key, expected) in MatchLabels)
        {
            if (!string.Equals(lookup(key), expected, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var requirement in MatchExpressions)
        {
            if (!requirement.Matches(lookup))
            {
                return false;
            }
        }

        if (Groups.Count > 0)
        {
            if (isMember is null)
            {
                return false;
            }

            var any = false;
            foreach (var group in Groups)
            {
                if (isMember(group))
                {
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                return false;
            }
        }

        return true;
    }
}
