using System.Text.Json;

namespace Gitfleet.Core.Templates;

/// <summary>
/// Turns a template's JSON output into the flat string-to-string map Mender's deviceconfig stores: nested
/// objects become dotted keys (<c>kiosk.url</c>), arrays become compact JSON text, scalars their JSON text
/// (strings unquoted), null an empty string.
/// </summary>
public static class ConfigurationFlattener
{
    /// <summary>Returns the map, or null with <paramref name="error"/> set when the text is not a JSON object.</summary>
    public static Dictionary<string, string>? Flatten(string json, out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            error = $"the rendered template is not valid JSON{where}: {FirstSentence(e.Message)}";
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = $"the rendered template must be a JSON object ({{ ... }}), not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}";
                return null;
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            Add(result, "", document.RootElement, ref error);
            return error is null ? result : null;
        }
    }

    private static void Add(Dictionary<string, string> result, string prefix, JsonElement element, ref string? error)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    Add(result, key, value, ref error);
                    continue;
                case JsonValueKind.String:
                    Set(result, key, value.GetString() ?? "", ref error);
                    break;
                case JsonValueKind.Null:
                    Set(result, key, "", ref error);
                    break;
                default:
                    Set(result, key, value.GetRawText(), ref error);
                    break;
            }
        }
    }

    private static void Set(Dictionary<string, string> result, string key, string value, ref string? error)
    {
        if (!result.TryAdd(key, value))
        {
            error ??= $"the rendered configuration sets '{key}' twice";
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
