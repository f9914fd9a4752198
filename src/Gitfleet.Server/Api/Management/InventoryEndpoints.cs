using System.Text.Json;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Api.Device;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>inventory: v1 device list/get, tags, groups; v2 filter search.</summary>
internal static class InventoryEndpoints
{
    private const string V1 = "/api/management/v1/inventory";
    private static readonly string[] Operators = ["$eq", "$ne", "$in", "$exists"];

    public static void MapInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(V1 + "/devices", async (HttpContext context, IFleetStore store, DeviceRegistry registry, CancellationToken cancellationToken) =>
        {
            var (page, perPage) = Paging.Read(context.Request);
            var query = context.Request.Query;
            bool? hasGroup = query["has_group"].ToString() switch
            {
                "" => null,
                "true" => true,
                "false" => false,
                var other => throw ApiException.BadRequest($"has_group must be true or false, not '{other}'"),
            };
            var group = query["group"].ToString() is { Length: > 0 } g ? g : null;
            return await ListAsync(context, store, registry, new DeviceQuery { Group = group, HasGroup = hasGroup, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
        });
        app.MapGet(V1 + "/devices/{id}", async (string id, IFleetStore store, DeviceRegistry registry, CancellationToken cancellationToken) =>
        {
            var device = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"device {id} not found");
            return Results.Ok(MenderShapes.Inventory(device, await store.GetAttributesAsync([id], cancellationToken).ConfigureAwait(false), registry.LastCheckIn(id)));
        });
        app.MapPut(V1 + "/devices/{id}/tags", (string id, HttpContext c, DeviceService d, CancellationToken ct) => TagsAsync(id, c, d, true, ct));
        app.MapPatch(V1 + "/devices/{id}/tags", (string id, HttpContext c, DeviceService d, CancellationToken ct) => TagsAsync(id, c, d, false, ct));
        app.MapGet(V1 + "/devices/{id}/group", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var device = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"device {id} not found");
            return Results.Ok(new GroupShape(device.Group));
        });
        app.MapPut(V1 + "/devices/{id}/group", async (string id, HttpContext context, DeviceService devices, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<GroupShape>(context, cancellationToken).ConfigureAwait(false);
            if (body.Group is not { Length: > 0 and <= 1024 } group || !group.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw ApiException.BadRequest("group must be 1 to 1024 letters, digits, '-' or '_'");
            }

            await devices.SetGroupAsync(id, group, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapDelete(V1 + "/devices/{id}/group/{name}", async (string id, string name, IFleetStore store, DeviceService devices, CancellationToken cancellationToken) =>
        {
            var device = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false);
            if (device?.Group != name)
            {
                throw ApiException.NotFound($"device {id} is not in group '{name}'");
            }

            await devices.SetGroupAsync(id, null, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet(V1 + "/groups", async (IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok(await store.ListGroupsAsync(cancellationToken).ConfigureAwait(false)));
        app.MapGet(V1 + "/groups/{name}/devices", async (string name, HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var (page, perPage) = Paging.Read(context.Request);
            var result = await store.ListDevicesAsync(new DeviceQuery { Group = name, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
            if (result.Total == 0)
            {
                throw ApiException.NotFound($"group '{name}' not found");
            }

            Paging.WriteHeaders(context, page, perPage, result.Total);
            return Results.Ok(result.Items.Select(d => d.Id).ToList());
        });
        app.MapPost("/api/management/v2/inventory/filters/search", async (HttpContext context, IFleetStore store, DeviceRegistry registry, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<SearchBody>(context, cancellationToken).ConfigureAwait(false);
            var page = body.Page ?? 1;
            var perPage = body.PerPage ?? Paging.DefaultPerPage;
            if (page < 1 || perPage is < 1 or > Paging.MaxPerPage)
            {
                throw ApiException.BadRequest($"page must be 1 or more and per_page between 1 and {Paging.MaxPerPage}");
            }

            var filters = (body.Filters ?? []).Select(ToFilter).ToList();
            return await ListAsync(context, store, registry, new DeviceQuery { Filters = filters, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
        }).RequireRole(Roles.Viewer);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store, DeviceRegistry registry, DeviceQuery query, CancellationToken cancellationToken)
    {
        var page = await store.ListDevicesAsync(query, cancellationToken).ConfigureAwait(false);
        var attributes = (await store.GetAttributesAsync(page.Items.Select(d => d.Id).ToList(), cancellationToken).ConfigureAwait(false)).ToLookup(a => a.DeviceId);
        Paging.WriteHeaders(context, query.Page, query.PerPage, page.Total);
        return Results.Ok(page.Items.Select(d => MenderShapes.Inventory(d, attributes[d.Id], registry.LastCheckIn(d.Id))).ToList());
    }

    private static async Task<IResult> TagsAsync(string id, HttpContext context, DeviceService devices, bool replace, CancellationToken cancellationToken)
    {
        var items = await JsonBody.ReadAsync<List<NameValue>>(context, cancellationToken).ConfigureAwait(false);
        if (items.Any(i => i?.Value.ValueKind is not JsonValueKind.String))
        {
            throw ApiException.BadRequest("tag values must be strings");
        }

        var tags = DeviceInventoryEndpoints.ToAttributes(items);
        if (tags.Count != items.Count)
        {
            throw ApiException.BadRequest("a tag name appears twice");
        }

        await devices.SaveTagsAsync(id, tags, replace, cancellationToken).ConfigureAwait(false);
        return Results.Ok();
    }

    private static AttributeFilter ToFilter(FilterShape? filter)
    {
        if (filter is null || string.IsNullOrEmpty(filter.Scope) || string.IsNullOrEmpty(filter.Attribute) || string.IsNullOrEmpty(filter.Type))
        {
            throw ApiException.BadRequest("each filter needs scope, attribute and type");
        }

        if (!Operators.Contains(filter.Type))
        {
            throw ApiException.BadRequest($"unsupported filter type '{filter.Type}'; supported: {string.Join(", ", Operators)}");
        }

        var values = filter.Value.ValueKind switch
        {
            JsonValueKind.Array => filter.Value.EnumerateArray().Select(JsonText.Of).ToList(),
            JsonValueKind.Undefined or JsonValueKind.Null => [],
            _ => [JsonText.Of(filter.Value)],
        };
        return new AttributeFilter(filter.Scope, filter.Attribute, filter.Type, values);
    }

    private sealed record GroupShape(string? Group);

    private sealed record SearchBody(int? Page, int? PerPage, List<FilterShape?>? Filters);

    private sealed record FilterShape(string? Scope, string? Attribute, string? Type, JsonElement Value);
}
