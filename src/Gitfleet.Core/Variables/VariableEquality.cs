using System.Collections;

namespace Gitfleet.Core.Variables;

/// <summary>Structural equality of YAML-derived values (scalars, maps, lists).</summary>
public static class VariableEquality
{
    public static bool Equal(object? a, object? b)
    {
        switch (a)
        {
            case null:
                return b is null;
            case IDictionary<string, object?> mapA when b is IDictionary<string, object?> mapB:
                if (mapA.Count != mapB.Count)
                {
                    return false;
                }

                foreach (var (key, value) in mapA)
                {
                    if (!mapB.TryGetValue(key, out var other) || !Equal(value, other))
                    {
                        return false;
                    }
                }

                return true;
            case IList listA when b is IList listB:
                if (listA.Count != listB.Count)
                {
                    return false;
                }

                for (var i = 0; i < listA.Count; i++)
                {
                    if (!Equal(listA[i], listB[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return a.Equals(b);
        }
    }
}
