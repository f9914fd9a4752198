using System.Collections;

namespace Gitfleet.Core.Variables;

/// <summary>Structural equality of YAML-derived values (scalars, maps, lists).</summary>
public static class VariableEquality
{
    public static bool Equal(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

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

    /// <summary>A hash that agrees with <see cref="Equal"/>: equal values hash alike.</summary>
    public static int Hash(object? value)
    {
        switch (value)
        {
            case null:
                return 0;
            case string text:
                return StringComparer.Ordinal.GetHashCode(text);
            case IDictionary<string, object?> map:
                var entries = map.Count;
                foreach (var (key, item) in map)
                {
                    entries += StringComparer.Ordinal.GetHashCode(key) ^ (Hash(item) * 31); // order-independent
                }

                return entries;
            case IList list:
                var hash = new HashCode();
                foreach (var item in list)
                {
                    hash.Add(Hash(item));
                }

                return hash.ToHashCode();
            default:
                return value.GetHashCode();
        }
    }
}
