using System.Text.Json;

namespace Gitfleet.Artifacts.Json;

/// <summary>
/// Typed access to the JSON header files with messages that name the file and the field
/// ("header-info: 'artifact_depends.device_type' must be a list of strings").
/// </summary>
internal static class JsonFields
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    public static JsonDocument Parse(string file, ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ArtifactFormatException($"{file} is not valid JSON: {e.Message}", e);
        }

        if (HasInvalidText(json.Span))
        {
            document.Dispose();
            throw new ArtifactFormatException($"{file} holds a string that is not valid UTF-8 text (invalid bytes or a lone UTF-16 surrogate escape)");
        }

        return document;
    }

    /// <summary>True when a string or property name is not well-formed Unicode (reading it would throw later).</summary>
    private static bool HasInvalidText(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            if (!reader.ValueIsEscaped)
            {
                if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
                {
                    return true;
                }

                continue;
            }

            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }

        return false;
    }

    public static void RequireObject(string file, string field, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ArtifactFormatException(
                $"{file}: {(field.Length == 0 ? "the content" : $"'{field}'")} must be a JSON object, not {Describe(element)}");
        }
    }

    public static string RequireString(string file, string field, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new ArtifactFormatException($"{file}: '{field}' must be a string, not {Describe(element)}");
        }

        return element.GetString()!;
    }

    public static IReadOnlyList<string> RequireStringList(string file, string field, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new ArtifactFormatException($"{file}: '{field}' must be a list of strings, not {Describe(element)}");
        }

        var values = new List<string>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new ArtifactFormatException($"{file}: '{field}' must be a list of strings, but holds {Describe(item)}");
            }

            values.Add(item.GetString()!);
        }

        return values;
    }

    /// <summary>A string, or a list of strings joined with ',' (the shape of type-info artifact_depends values).</summary>
    public static string RequireStringOrList(string file, string field, JsonElement element) =>
        element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : string.Join(',', RequireStringList(file, field, element));

    /// <summary>The checks mender-artifact applies to names, groups and device types (see <see cref="MenderStrings"/>).</summary>
    public static void RequirePrintable(string file, string field, string value)
    {
        if (MenderStrings.Problem(value) is { } problem)
        {
            throw new ArtifactFormatException($"{file}: '{field}' {problem}");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
