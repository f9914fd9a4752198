namespace Gitfleet.Storage.Sql;

/// <summary>
/// One instance per distinct string while reading many rows: statuses, device types, images and deployment ids
/// repeat across hundreds of thousands of devices, and the engine compares them often.
/// </summary>
internal sealed class StringPool
{
    private readonly Dictionary<string, string> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> lists = new(StringComparer.Ordinal);

    public string Intern(string value)
    {
        if (strings.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        strings[value] = value;
        return value;
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
