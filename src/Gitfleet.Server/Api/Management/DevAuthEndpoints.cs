using Gitfleet.Core.Facts;
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

/// <summary>devauth v2, management side: list, search, count, get, preauthorize, accept/reject auth sets, decommission.</summary>
internal static class DevAuthEndpoints
{
    private const string Base = "/api/management/v2/devauth";
    /// <summary>The statuses a device list may be filtered by (Mender's devauth v2).</summary>
    private static readonly AuthStatus[] Statuses = [AuthStatus.Pending, AuthStatus.Accepted, AuthStatus.Rejected, AuthStatus.Preauthorized];

    public static void MapDevAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Base + "/devices", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var (page, perPage) = Paging.Read(context.Request);
            var status = Status(context.Request.Query["status"].ToString());
            return await ListAsync(context, store, new DeviceQuery { Status = status, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
        });
        app.MapPost(Base + "/devices/search", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var (page, perPage) = Paging.Read(context.Request);
            var body = await JsonBody.ReadAsync<SearchBody>(context, cancellationToken).ConfigureAwait(false);
            return await ListAsync(context, store, new DeviceQuery { Status = Status(body.Status), Ids = body.Id, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
        }).RequireRole(Roles.Viewer);
        app.MapGet(Base + "/devices/count", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok(new CountShape(await store.CountDevicesAsync(Status(context.Request.Query["status"].ToString()), cancellationToken).ConfigureAwait(false))));
        app.MapGet(Base + "/devices/{id}", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var device = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"device {id} not found");
            return Results.Ok(MenderShapes.DevAuth(device, await store.GetAuthSetsAsync([id], cancellationToken).ConfigureAwait(false)));
        });
        app.MapPost(Base + "/devices", PreauthorizeAsync);
        app.MapDelete(Base + "/devices/{id}", async (string id, DeviceService devices, CancellationToken cancellationToken) =>
        {
            await devices.DecommissionAsync(id, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet(Base + "/devices/{id}/auth/{authId}/status", async (string id, string authId, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var set = (await store.GetAuthSetsAsync([id], cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Id == authId)
                ?? throw ApiException.NotFound($"auth set {authId} of device {id} not found");
            return Results.Ok(new StatusShape(StatusNames.Of(set.Status)));
        });
        app.MapPut(Base + "/devices/{id}/auth/{authId}/status", SetStatusAsync).RequireRole(Roles.Operator);
        app.MapDelete(Base + "/devices/{id}/auth/{authId}", async (string id, string authId, DeviceService devices, CancellationToken cancellationToken) =>
        {
            await devices.DeleteAuthSetAsync(id, authId, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet(Base + "/limits/max_devices", () => Results.Ok(new LimitShape(0)));
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store, DeviceQuery query, CancellationToken cancellationToken)
    {
        var page = await store.ListDevicesAsync(query, cancellationToken).ConfigureAwait(false);
        var sets = (await store.GetAuthSetsAsync(page.Items.Select(d => d.Id).ToList(), cancellationToken).ConfigureAwait(false)).ToLookup(a => a.DeviceId);
        Paging.WriteHeaders(context, query.Page, query.PerPage, page.Total);
        return Results.Ok(page.Items.Select(d => MenderShapes.DevAuth(d, sets[d.Id])).ToList());
    }

    private static async Task<IResult> PreauthorizeAsync(HttpContext context, DeviceService devices, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<PreauthorizeBody>(context, cancellationToken).ConfigureAwait(false);
        if (body.IdentityData is not { Count: > 0 } identity)
        {
            throw ApiException.BadRequest("identity_data is required (a non-empty object)");
        }

        if (string.IsNullOrWhiteSpace(body.Pubkey))
        {
            throw ApiException.BadRequest("pubkey is required");
        }

        var device = await devices.PreauthorizeAsync(new Dictionary<string, string>(identity, StringComparer.Ordinal), body.Pubkey, cancellationToken).ConfigureAwait(false);
        return Results.Created($"{Base}/devices/{device.Id}", null);
    }

    private static async Task<IResult> SetStatusAsync(string id, string authId, HttpContext context, DeviceService devices, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<StatusShape>(context, cancellationToken).ConfigureAwait(false);
        await devices.SetAuthSetStatusAsync(id, authId, body.Status ?? "", cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>A status filter as the API spells it, typed for the store; an unknown one is refused here, at the edge.</summary>
    private static AuthStatus? Status(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return StatusNames.TryParse(value, out AuthStatus status) && Statuses.Contains(status) ? status
            : throw ApiException.BadRequest($"unknown status '{value}'; expected one of: {string.Join(", ", Statuses.Select(StatusNames.Of))}");
    }

    private sealed record SearchBody(string? Status, IReadOnlyList<string>? Id);

    private sealed record PreauthorizeBody(Dictionary<string, string>? IdentityData, string? Pubkey, bool Force);

    private sealed record StatusShape(string? Status);

    private sealed record CountShape(long Count);

    private sealed record LimitShape(int Limit);
}
