using System.Text.Json;

namespace Gitfleet.Core.Facts;

/// <summary>
/// An inventory or identity attribute value as the flat text Gitfleet plans with: a string as it is, a list of
/// values joined with ',' (Mender sends a repeated inventory key as a list), anything else as its JSON text.
/// The server, the Mender-API client and the store flatten values through this one definition.
/// </summary>
public static class AttributeText
{
    public static string Flatten(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(Flatten)),
        _ => value.GetRawText(),
    };

    /// <summary>The values of one attribute (one, or several for a repeated key) as one text.</summary>
    public static string Flatten(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count == 1 ? values[0] : string.Join(',', values);
    }
}
