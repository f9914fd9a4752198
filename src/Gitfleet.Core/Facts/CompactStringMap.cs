using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Gitfleet.Core.Facts;

/// <summary>
/// A small read-only string map stored as two arrays (linear search up to 16 entries, a dictionary above).
/// A device's tags, attributes and configuration have a handful of entries each; at 200,000 devices a
/// Dictionary per map costs several times more memory than the strings in it.
/// </summary>
public sealed class CompactStringMap : IReadOnlyDictionary<string, string>
{
    private const int LinearLimit = 16;
    private readonly string[] keys;
    private readonly string[] values;
    private readonly Dictionary<string, int>? index;

    public CompactStringMap(IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        keys = new string[entries.Count];
        values = new string[entries.Count];
        var count = 0;
        foreach (var (key, value) in entries)
        {
            var existing = IndexOf(key, count);
            if (existing >= 0)
            {
                values[existing] = value; // Last one wins, as in a JSON object read into a dictionary.
                continue;
            }

            keys[count] = key;
            values[count] = value;
            count++;
        }

        if (count < keys.Length)
        {
            Array.Resize(ref keys, count);
            Array.Resize(ref values, count);
        }

        if (count > LinearLimit)
        {
            index = new Dictionary<string, int>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                index[keys[i]] = i;
            }
        }
    }

    /// <summary>A map of distinct keys, taking the arrays as they are (the keys array may be shared by maps with the same keys).</summary>
    internal CompactStringMap(string[] distinctKeys, string[] values)
    {
        keys = distinctKeys;
        this.values = values;
        if (keys.Length > LinearLimit)
        {
            index = new Dictionary<string, int>(keys.Length, StringComparer.Ordinal);
            for (var i = 0; i < keys.Length; i++)
            {
                index[keys[i]] = i;
            }
        }
    }

    public static readonly CompactStringMap Empty = new([]);

    /// <summary>The keys, in order (not to be changed: maps with the same keys share the array).</summary>
    internal string[] KeyArray => keys;

    public int Count => keys.Length;

    public IEnumerable<string> Keys => keys;

    public IEnumerable<string> Values => values;

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no key '{key}'");

    public bool ContainsKey(string key) => Find(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var i = Find(key);
        if (i < 0)
        {
            value = null;
            return false;
        }

        value = values[i];
        return true;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < keys.Length; i++)
        {
            yield return new KeyValuePair<string, string>(keys[i], values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when the entries are the same string instances in the same order (pooled strings).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal bool SameEntries(List<KeyValuePair<string, string>> entries)
    {
        if (entries.Count != keys.Length)
        {
            return false;
        }

        for (var i = 0; i < keys.Length; i++)
        {
            if (!ReferenceEquals(entries[i].Key, keys[i]) || !ReferenceEquals(entries[i].Value, values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private int Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (index is not null)
        {
            return index.TryGetValue(key, out var i) ? i : -1;
        }

        return IndexOf(key, keys.Length);
    }

    private int IndexOf(string key, int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Pooled strings are usually the same instance; fall back to comparing characters.
            if (ReferenceEquals(keys[i], key) || string.Equals(keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
