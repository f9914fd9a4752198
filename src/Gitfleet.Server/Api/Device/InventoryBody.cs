using System.Text;
using System.Text.Json;

namespace Gitfleet.Server.Api.Device;

/// <summary>
/// A device's inventory body (<c>[{"name": ..., "value": ...}]</c>) read straight into (name, values), the
/// way <see cref="JsonBody.Parse{T}"/> of <see cref="NameValue"/> items and
/// <see cref="DeviceInventoryEndpoints.ToAttributes"/> read it, with the same answers and refusals, but in one pass of
/// a <see cref="Utf8JsonReader"/>: the serializer built a <see cref="JsonDocument"/> per item for its
/// <see cref="JsonElement"/> value (17 per inventory of a mender-client), about 5 % of a restart storm's server CPU.
/// Every device sends its inventory after each restart.
/// </summary>
internal static class InventoryBody
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = ApiJson.Options.MaxDepth, AllowTrailingCommas = false };

    public static List<KeyValuePair<string, IReadOnlyList<string>>> Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            throw ApiException.BadRequest("the request body is empty; JSON expected");
        }

        WellFormedText.CheckJson(body.Span);
        List<Item?> items;
        try
        {
            items = Read(body.Span) ?? throw ApiException.BadRequest("the request body is null; a JSON value expected");
        }
        catch (JsonException e)
        {
            throw JsonBody.Malformed(e);
        }

        // The serializer's reading finished before any item was judged: a malformed body is refused as such first.
        return DeviceInventoryEndpoints.Group(items.Count, i => items[i] is { } item ? (item.Name, item.Values) : null);
    }

    /// <summary>The items (null for a JSON null item), or null for a body that is JSON null.</summary>
    private static List<Item?>? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            End(ref reader);
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray, "a list of {name, value} items");
        var items = new List<Item?>(20);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(reader.TokenType == JsonTokenType.Null ? null : ReadItem(ref reader, json));
        }

        End(ref reader);
        return items;
    }

    private static Item ReadItem(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        Expect(ref reader, JsonTokenType.StartObject, "an item {name, value}");
        string? name = null;
        List<string>? values = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                {
                    Expect(ref reader, JsonTokenType.String, "a name (string)");
                }

                name = reader.GetString();
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                values = ReadValues(ref reader, json);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new Item(name, values);
    }

    /// <summary>A value's texts (<see cref="JsonText.Of"/> of it, or of each element of a list); null for null or an object.</summary>
    private static List<string>? ReadValues(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartObject:
                reader.Skip();
                return null;
            case JsonTokenType.StartArray:
                var values = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    values.Add(Flatten(ref reader, json));
                }

                return values;
            default:
                return [Flatten(ref reader, json)];
        }
    }

    /// <summary><see cref="Gitfleet.Core.Facts.AttributeText.Flatten(JsonElement)"/> of the value at the reader.</summary>
    private static string Flatten(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.StartArray:
                var parts = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    parts.Add(Flatten(ref reader, json));
                }

                return string.Join(',', parts);
            case JsonTokenType.StartObject:
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                return Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
            default:
                // A number, true, false or null: its JSON text as written.
                return Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"The JSON value could not be read as {what}.");
        }
    }

    /// <summary>Nothing but whitespace may follow the body's value (the reader refuses anything else).</summary>
    private static void End(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("The JSON body has more than one value.");
        }
    }

    private sealed record Item(string? Name, List<string>? Values);
}
