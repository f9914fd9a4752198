using System.Text;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// One instance per distinct string while reading many rows: statuses, device types, images, attribute names and
/// values and deployment ids repeat across hundreds of thousands of devices. Looks up UTF-8 bytes and character
/// spans without allocating, so a value seen before costs no string.
/// </summary>
internal sealed class StringPool
{
    private readonly Dictionary<string, string> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup;
    private readonly Dictionary<string, string[]> lists = new(StringComparer.Ordinal);

    public StringPool()
    {
        lookup = strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Intern(string value)
    {
        if (strings.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        strings[value] = value;
        return value;
    }

    public string Intern(ReadOnlySpan<char> value)
    {
        if (lookup.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        var text = new string(value);
        strings[text] = text;
        return text;
    }

    public string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 512)
        {
            return Intern(Encoding.UTF8.GetString(utf8));
        }

        Span<char> chars = stackalloc char[utf8.Length];
        return Intern(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }

    /// <summary>
    /// The pooled instance of <paramref name="value"/>, or null when it is not in the pool: nothing is added, so
    /// several threads may look up at once while nobody interns.
    /// </summary>
    public string? Find(string value) => strings.GetValueOrDefault(value);

    /// <inheritdoc cref="Find(string)"/>
    public string? Find(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 512)
        {
            return Find(Encoding.UTF8.GetString(utf8));
        }

        Span<char> chars = stackalloc char[utf8.Length];
        return lookup.TryGetValue(chars[..Encoding.UTF8.GetChars(utf8, chars)], out var pooled) ? pooled : null;
    }

    /// <summary>Forgets every string (the instances handed out stay valid); the pool keeps its capacity for the next use.</summary>
    public void Clear()
    {
        strings.Clear();
        lists.Clear();
    }

    /// <summary>A comma-separated list, split once per distinct text.</summary>
    public string[] Split(string text)
    {
        if (!lists.TryGetValue(text, out var items))
        {
            items = text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Intern).ToArray();
            lists[text] = items;
        }

        return items;
    }
}
