using System.Text.Json;
using Shouldly;

namespace Gitfleet.TestSupport;

/// <summary>An answer is whole, valid JSON, and every string and property name in it is valid text (GetString never throws).</summary>
public static class StrictJson
{
    public static void Check(byte[] json, string what)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            Visit(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ShouldAssertException($"{what}: the answer is not valid JSON of valid text ({e.Message}): {System.Text.Encoding.UTF8.GetString(json)}", e);
        }
    }

    private static void Visit(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Visit(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Visit(item);
                }

                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }
}
