using System.Text.Json;

namespace Gitfleet.Server.Api;

/// <summary>A JSON value as the flat text Gitfleet keeps: strings as they are, lists joined with ',', the rest as JSON.</summary>
internal static class JsonText
{
    public static string Of(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(Of)),
        _ => value.GetRawText(),
    };
}
