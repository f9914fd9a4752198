using System.Text.Json;
using Gitfleet.Server.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Device;

/// <summary>deviceconfig, device side: the device reports the configuration it applied.</summary>
internal static class DeviceConfigEndpoints
{
    public static void MapDeviceConfigApi(this IEndpointRouteBuilder app) =>
        app.MapPut("/api/devices/v1/deviceconfig/configuration", async (HttpContext context, DeviceService devices, CancellationToken cancellationToken) =>
        {
            var map = ReadFlatMap(await JsonBody.ReadAsync<JsonElement>(context, cancellationToken).ConfigureAwait(false));
            await devices.SaveReportedConfigurationAsync(context.Device().DeviceId, map, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });

    /// <summary>A flat JSON object of string (or number/boolean, kept as text) values.</summary>
    public static Dictionary<string, string> ReadFlatMap(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest("the configuration must be a JSON object of key/value pairs");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name.Length is 0 or > 256)
            {
                throw ApiException.BadRequest("configuration keys need 1 to 256 characters");
            }

            map[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => throw ApiException.BadRequest($"configuration value of '{property.Name}' must be a string, number or boolean"),
            };
        }

        if (map.Count > 1000)
        {
            throw ApiException.BadRequest("at most 1000 configuration keys");
        }

        return map;
    }
}
