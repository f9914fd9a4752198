using System.Text.Json;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Reads what surrounds the devices (the skeleton <see cref="DeviceSplitter"/> leaves): the top-level object,
/// <c>schema</c>, <c>generated_at</c> and the optional transfer <c>catalog</c> (artifact and delta sizes,
/// docs/facts.md: small, read with the serializer). Device objects found here (a <c>devices</c> array the splitter did not
/// recognise, such as a second one) are read as well.
/// </summary>
internal static class DocumentParser
{
    /// <param name="devicesBefore">How many devices the splitter found (numbers devices found here).</param>
    public static (string Schema, DateTimeOffset? GeneratedAt, Delivery.TransferCatalog? Catalog, List<DeviceFacts> Devices) Parse(
        ReadOnlySpan<byte> skeleton, SkeletonCut? cut, int devicesBefore, FactsProjection projection)
    {
        var at = new PositionMap(0, 0, 0, cut);
        var reader = new Utf8JsonReader(skeleton, JsonSteps.Options);
        JsonSteps.Next(ref reader, at);
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw new FactsFormatException("the facts document is empty (null)");
        }

        JsonSteps.Expect(ref reader, JsonTokenType.StartObject, "the facts document must be a JSON object", at);
        string? schema = null;
        DateTimeOffset? generatedAt = null;
        Delivery.TransferCatalog? catalog = null;
        var devices = new List<DeviceFacts>();
        DeviceParser? parser = null;
        while (JsonSteps.Next(ref reader, at) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("schema"u8))
            {
                JsonSteps.Next(ref reader, at);
                schema = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw JsonSteps.Error(ref reader, "\"schema\" must be a string", at);
            }
            else if (reader.ValueTextEquals("generated_at"u8))
            {
                JsonSteps.Next(ref reader, at);
                generatedAt = JsonSteps.ReadTime(ref reader, "generated_at", at);
            }
            else if (reader.ValueTextEquals("catalog"u8))
            {
                JsonSteps.Next(ref reader, at);
                catalog = ReadCatalog(ref reader);
            }
            else if (reader.ValueTextEquals("devices"u8))
            {
                JsonSteps.Next(ref reader, at);
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                JsonSteps.Expect(ref reader, JsonTokenType.StartArray, "\"devices\" must be a list", at);
                while (JsonSteps.Next(ref reader, at) != JsonTokenType.EndArray)
                {
                    parser ??= new DeviceParser(projection);
                    var cursor = new JsonCursor(skeleton, at, (int)reader.TokenStartIndex);
                    devices.Add(parser.Parse(ref cursor, devicesBefore + devices.Count));
                    JsonSteps.Skip(ref reader, at);
                }
            }
            else
            {
                JsonSteps.Next(ref reader, at);
                JsonSteps.Skip(ref reader, at);
            }
        }

        return (schema ?? "", generatedAt, catalog, devices);
    }

    private static Delivery.TransferCatalog? ReadCatalog(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(ref reader, Delivery.DeliveryJson.Default.TransferCatalog);
        }
        catch (JsonException e)
        {
            throw new FactsFormatException($"\"catalog\" is malformed: {e.Message}", e);
        }
    }
}
