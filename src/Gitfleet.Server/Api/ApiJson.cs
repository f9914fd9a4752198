using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gitfleet.Server.Api;

/// <summary>JSON as Mender's APIs write it: snake_case names, nulls left out.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.AllowTrailingCommas = false;
        options.MaxDepth = 32;
        return options;
    }
}
