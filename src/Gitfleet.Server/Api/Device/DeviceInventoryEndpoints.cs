using System.Text.Json;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Device;

/// <summary>Inventory, device side: PUT replaces the device-reported attributes, PATCH merges them.</summary>
internal static class DeviceInventoryEndpoints
{
    private const int MaxAttributes = 1000;

    public static void MapDeviceInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/devices/v1/inventory/device/attributes", (HttpContext c, IFleetStore s, TimeProvider t, CancellationToken ct) => SaveAsync(c, s, t, true, ct));
        app.MapPatch("/api/devices/v1/inventory/device/attributes", (HttpContext c, IFleetStore s, TimeProvider t, CancellationToken ct) => SaveAsync(c, s, t, false, ct));
    }

    /// <summary>[{"name","value"}] to (name, value JSON); repeated names become arrays.</summary>
    public static List<KeyValuePair<string, string>> ToAttributes(IReadOnlyList<NameValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count > MaxAttributes)
        {
            throw ApiException.BadRequest($"at most {MaxAttributes} attributes per request");
        }

        var grouped = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw ApiException.BadRequest($"attribute [{i}] is null");
            if (string.IsNullOrWhiteSpace(item.Name) || item.Name.Length > 256)
            {
                throw ApiException.BadRequest($"attribute [{i}] needs a name of 1 to 256 characters");
            }

            if (item.Value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object)
            {
                throw ApiException.BadRequest($"attribute '{item.Name}' needs a string, number or list value");
            }

            if (!grouped.TryGetValue(item.Name, out var values))
            {
                grouped[item.Name] = values = [];
            }

            values.Add(item.Value);
        }

        return grouped.Select(g => new KeyValuePair<string, string>(g.Key,
            g.Value.Count == 1 ? g.Value[0].GetRawText() : "[" + string.Join(',', g.Value.Select(v => v.GetRawText())) + "]")).ToList();
    }

    private static async Task<IResult> SaveAsync(HttpContext context, IFleetStore store, TimeProvider time, bool replace, CancellationToken cancellationToken)
    {
        var device = context.Device();
        var items = await JsonBody.ReadAsync<List<NameValue>>(context, cancellationToken).ConfigureAwait(false);
        var attributes = ToAttributes(items);
        if (!await store.SaveInventoryAsync(device.DeviceId, attributes, replace, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.NotFound("device not found");
        }

        return Results.Ok();
    }
}

/// <summary>Mender's attribute/tag item: {"name": ..., "value": ...}.</summary>
internal sealed record NameValue(string? Name, JsonElement Value);
