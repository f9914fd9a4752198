using System.Text.Json;

namespace Gitfleet.Server.Api;

/// <summary>A JSON value as the flat text Gitfleet keeps (<see cref="Gitfleet.Core.Facts.AttributeText"/>).</summary>
internal static class JsonText
{
    public static string Of(JsonElement value) => Gitfleet.Core.Facts.AttributeText.Flatten(value);
}
