namespace Gitfleet.Core.Rollouts;

/// <summary>Lists in ordinal order of a key (device ids): the store's indexes are keyed by them, so sorted writes stay on neighbouring pages.</summary>
public static class OrdinalOrder
{
    /// <summary>The list in ordinal order of <paramref name="key"/>; already sorted lists (the usual case) are only checked.</summary>
    public static List<T> Sorted<T>(List<T> items, Func<T, string> key)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(key);
        for (var i = 1; i < items.Count; i++)
        {
            if (string.CompareOrdinal(key(items[i - 1]), key(items[i])) > 0)
            {
                items.Sort((a, b) => string.CompareOrdinal(key(a), key(b)));
                break;
            }
        }

        return items;
    }
}
