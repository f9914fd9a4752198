using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Core.Templates;

/// <summary>
/// Turns a template's JSON output into the flat string-to-string map Mender's deviceconfig stores: nested
/// objects become dotted keys (<c>kiosk.url</c>), arrays become compact JSON text, scalars their JSON text
/// (strings unquoted), null an empty string. Read in one pass (a plan flattens a render per device that reads
/// its own id).
/// </summary>
public static class ConfigurationFlattener
{
    private static readonly JsonReaderOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Returns the map, or null with <paramref name="error"/> set when the text is not a JSON object.</summary>
    public static Dictionary<string, string>? Flatten(string json, out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        error = null;
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var utf8 = buffer.AsSpan(0, Encoding.UTF8.GetBytes(json, buffer));
            var reader = new Utf8JsonReader(utf8, Options);
            if (!reader.Read())
            {
                reader.Read(); // throws: the input has no JSON value
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = reader.TokenType switch
                {
                    JsonTokenType.StartArray => "array",
                    JsonTokenType.String => "string",
                    JsonTokenType.Number => "number",
                    JsonTokenType.True => "true",
                    JsonTokenType.False => "false",
                    _ => "null",
                };
                reader.Skip();
                if (reader.Read())
                {
                    reader.Read(); // throws: something follows the value
                }

                error = $"the rendered template must be a JSON object ({{ ... }}), not {kind}";
                return null;
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            Add(ref reader, utf8, result, "", ref error);
            if (reader.Read())
            {
                reader.Read(); // throws: something follows the object
            }

            return error is null ? result : null;
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            error = $"the rendered template is not valid JSON{where}: {FirstSentence(e.Message)}";
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the members of the object the reader stands on, under <paramref name="prefix"/>.</summary>
    private static void Add(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, Dictionary<string, string> result, string prefix, ref string? error)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var key = prefix.Length == 0 ? name : $"{prefix}.{name}";
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    Add(ref reader, utf8, result, key, ref error);
                    continue;
                case JsonTokenType.String:
                    Set(result, key, reader.GetString() ?? "", ref error);
                    break;
                case JsonTokenType.Null:
                    Set(result, key, "", ref error);
                    break;
                case JsonTokenType.StartArray:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    Set(result, key, Encoding.UTF8.GetString(utf8[start..(int)reader.BytesConsumed]), ref error);
                    break;
                default:
                    Set(result, key, Encoding.UTF8.GetString(reader.ValueSpan), ref error);
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
