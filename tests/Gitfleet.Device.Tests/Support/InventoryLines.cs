using System.Text.RegularExpressions;

namespace Gitfleet.Device.Tests.Support;

/// <summary>Parses an inventory script's output the way the Mender client does: one key=value per line.</summary>
internal static partial class InventoryLines
{
    public static Dictionary<string, string> Parse(string output)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Line().IsMatch(line).ShouldBeTrue($"not a key=value line: '{line}'");
            var (key, value) = (line[..line.IndexOf('=', StringComparison.Ordinal)], line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            attributes.ContainsKey(key).ShouldBeFalse($"'{key}' appears twice");
            attributes[key] = value;
        }

        return attributes;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+=[^\n]*$")]
    private static partial Regex Line();
}
