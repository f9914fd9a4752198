using System.Text.Json;

namespace Gitfleet.Storage.Sql;

/// <summary>Flat string maps, attribute values and logs as stored JSON text: JSON stays inside the store.</summary>
internal static class JsonMaps
{
    public static string Serialize(IReadOnlyDictionary<string, string> map) =>
        JsonSerializer.Serialize(map.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    public static IReadOnlyDictionary<string, string> Deserialize(string? json) =>
        string.IsNullOrEmpty(json)
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : JsonSerializer.Deserialize<Dictionary<string, string>>(StoredTextRepair.RepairJson(json)) ?? new Dictionary<string, string>(StringComparer.Ordinal);

    public static string SerializeList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);

    public static IReadOnlyList<string> DeserializeList(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];

    /// <summary>An attribute value as JSON: one string, or an array for a repeated key.</summary>
    private static readonly JsonSerializerOptions LogOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string SerializeLog(IReadOnlyList<Model.DeploymentLogMessage> messages) => JsonSerializer.Serialize(messages, LogOptions);

    public static IReadOnlyList<Model.DeploymentLogMessage> DeserializeLog(string json)
    {
        try
        {
            return (JsonSerializer.Deserialize<List<Model.DeploymentLogMessage?>>(json, LogOptions) ?? []).OfType<Model.DeploymentLogMessage>().Where(m => m.Message is not null).ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>An attribute's stored JSON back to its values (one string, or an array's items).</summary>
    public static IReadOnlyList<string> AttributeValues(string valueJson)
    {
        ArgumentNullException.ThrowIfNull(valueJson);
        valueJson = StoredTextRepair.RepairJson(valueJson);
        if (valueJson.Length >= 2 && valueJson[0] == '"' && valueJson[^1] == '"' && !valueJson.AsSpan(1, valueJson.Length - 2).ContainsAny('"', '\\'))
        {
            return [valueJson[1..^1]];
        }

        using var document = JsonDocument.Parse(valueJson);
        var root = document.RootElement;
        return root.ValueKind == JsonValueKind.Array
            ? root.EnumerateArray().Select(Gitfleet.Core.Facts.AttributeText.Flatten).ToList()
            : [Gitfleet.Core.Facts.AttributeText.Flatten(root)];
    }

    public static string AttributeValue(IReadOnlyList<string> values) =>
        values.Count == 1 ? JsonSerializer.Serialize(values[0]) : JsonSerializer.Serialize(values);

    /// <summary>An attribute value read back: the string, or the array's items joined with ','.</summary>
    public static string AttributeText(string valueJson)
    {
        ArgumentNullException.ThrowIfNull(valueJson);
        if (valueJson.Length >= 2 && valueJson[0] == '"' && valueJson[^1] == '"' && !valueJson.AsSpan(1, valueJson.Length - 2).ContainsAny('"', '\\'))
        {
            return valueJson[1..^1]; // A plain string, the common case: no JSON parser needed.
        }

        using var document = JsonDocument.Parse(StoredTextRepair.RepairJson(valueJson));
        var root = document.RootElement;
        return root.ValueKind switch
        {
            JsonValueKind.String => root.GetString()!,
            JsonValueKind.Array => string.Join(',', root.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => root.GetRawText(),
        };
    }
}
