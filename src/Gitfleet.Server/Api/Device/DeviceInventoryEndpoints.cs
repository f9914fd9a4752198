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
        return Group(items.Count, i => items[i] is { } item ? (item.Name, ValuesOf(item.Value)) : null);
    }

    /// <summary>
    /// The items of a body (by position: null for a JSON null item; values null for a null or object value) checked
    /// and grouped by name, in the order names first appear: the one set of rules for every reader of such a body.
    /// </summary>
    internal static List<KeyValuePair<string, IReadOnlyList<string>>> Group(int count, Func<int, (string? Name, List<string>? Values)?> itemAt)
    {
        ArgumentNullException.ThrowIfNull(itemAt);
        if (count > MaxAttributes)
        {
            throw ApiException.BadRequest($"at most {MaxAttributes} attributes per request");
        }

        var grouped = new Dictionary<string, List<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var (name, values) = itemAt(i) ?? throw ApiException.BadRequest($"attribute [{i}] is null");
            if (string.IsNullOrWhiteSpace(name) || name.Length > 256)
            {
                throw ApiException.BadRequest($"attribute [{i}] needs a name of 1 to 256 characters");
            }

            if (values is null)
            {
                throw ApiException.BadRequest($"attribute '{name}' needs a string, number or list value");
            }

            if (grouped.TryGetValue(name, out var existing))
            {
                existing.AddRange(values);
            }
            else
            {
                grouped[name] = values;
            }
        }

        return grouped.Select(g => new KeyValuePair<string, IReadOnlyList<string>>(g.Key, g.Value)).ToList();
    }

    /// <summary>A value's texts (<see cref="JsonText.Of"/> of it, or of each element of a list); null for null or an object.</summary>
    private static List<string>? ValuesOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object => null,
        JsonValueKind.Array => [.. value.EnumerateArray().Select(JsonText.Of)],
        _ => [JsonText.Of(value)],
    };

    private static async Task<IResult> SaveAsync(HttpContext context, DeviceService devices, bool replace, CancellationToken cancellationToken)
    {
        var attributes = InventoryBody.Parse(await JsonBody.ReadBytesAsync(context, cancellationToken).ConfigureAwait(false));
        await devices.SaveInventoryAsync(context.Device().DeviceId, attributes, replace, cancellationToken).ConfigureAwait(false);
        return Results.Ok();
    }
}

/// <summary>Mender's attribute/tag item: {"name": ..., "value": ...}.</summary>
internal sealed record NameValue(string? Name, JsonElement Value);
