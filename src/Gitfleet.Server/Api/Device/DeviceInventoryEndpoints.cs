using System.Text.Json;
using Gitfleet.Server.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Device;

/// <summary>Inventory, device side: PUT replaces the device-reported attributes, PATCH merges them (body: <see cref="InventoryBody"/>).</summary>
internal static class DeviceInventoryEndpoints
{
    public const int MaxAttributes = 1000;

    public static void MapDeviceInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/devices/v1/inventory/device/attributes", (HttpContext c, DeviceService d, CancellationToken ct) => SaveAsync(c, d, true, ct));
        app.MapPatch("/api/devices/v1/inventory/device/attributes", (HttpContext c, DeviceService d, CancellationToken ct) => SaveAsync(c, d, false, ct));
    }

    /// <summary>
    /// [{"name","value"}] to (name, values): a list value or a repeated name gives several values; numbers keep their
    /// text. The management API's tags read through it; a device's inventory is read the same way by <see cref="InventoryBody"/>.
    /// </summary>
    public static List<KeyValuePair<string, IReadOnlyList<string>>> ToAttributes(IReadOnlyList<NameValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count > MaxAttributes)
        {
            throw ApiException.BadRequest($"at most {MaxAttributes} attributes per request");
        }

        var grouped = new Dictionary<string, List<string>>(StringComparer.Ordinal);
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

            if (item.Value.ValueKind == JsonValueKind.Array)
            {
                values.AddRange(item.Value.EnumerateArray().Select(JsonText.Of));
            }
            else
            {
                values.Add(JsonText.Of(item.Value));
            }
        }

        return grouped.Select(g => new KeyValuePair<string, IReadOnlyList<string>>(g.Key, g.Value)).ToList();
    }

    private static async Task<IResult> SaveAsync(HttpContext context, DeviceService devices, bool replace, CancellationToken cancellationToken)
    {
        var attributes = InventoryBody.Parse(await JsonBody.ReadBytesAsync(context, cancellationToken).ConfigureAwait(false));
        await devices.SaveInventoryAsync(context.Device().DeviceId, attributes, replace, cancellationToken).ConfigureAwait(false);
        return Results.Ok();
    }
}

/// <summary>Mender's attribute/tag item: {"name": ..., "value": ...}.</summary>
internal sealed record NameValue(string? Name, JsonElement Value);
