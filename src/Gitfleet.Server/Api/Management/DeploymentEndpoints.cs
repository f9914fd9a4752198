using System.Globalization;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Api.Redaction;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>deployments v1, management side: create (devices or group), list, get, statistics, device lists, logs, abort, history.</summary>
internal static class DeploymentEndpoints
{
    public const string Base = "/api/management/v1/deployments/deployments";
    private const string IdempotencyHeader = "Idempotency-Key";

    public static void MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Base, (HttpContext context, DeploymentService deployments, CancellationToken cancellationToken) => CreateAsync(context, deployments, null, cancellationToken));
        app.MapPost(Base + "/group/{name}", (string name, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken) =>
            CreateAsync(context, deployments, name, cancellationToken));
        app.MapGet(Base, async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var (page, perPage) = Paging.Read(context.Request);
            var status = context.Request.Query["status"].ToString() switch
            {
                "" => (DeploymentState?)null,
                var s when StatusNames.TryParse(s, out DeploymentState known) => known,
                var other => throw ApiException.BadRequest($"status must be pending, inprogress or finished, not '{other}'"),
            };
            var search = context.Request.Query["search"].ToString();
            var result = await store.ListDeploymentsAsync(new DeploymentQuery { Status = status, Search = search.Length == 0 ? null : search, Page = page, PerPage = perPage }, cancellationToken).ConfigureAwait(false);
            Paging.WriteHeaders(context, page, perPage, result.Total);
            return Results.Ok(result.Items.Select(d => MenderShapes.Deployment(d)).ToList());
        });
        app.MapGet(Base + "/{id}", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var deployment = await GetAsync(store, id, cancellationToken).ConfigureAwait(false);
            var statistics = await store.GetStatisticsAsync(id, cancellationToken).ConfigureAwait(false);
            return Results.Ok(MenderShapes.Deployment(deployment, statistics));
        });
        app.MapGet(Base + "/{id}/statistics", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            _ = await GetAsync(store, id, cancellationToken).ConfigureAwait(false);
            return Results.Ok(MenderShapes.Statistics(await store.GetStatisticsAsync(id, cancellationToken).ConfigureAwait(false)));
        });
        app.MapGet(Base + "/{id}/devices", async (string id, IFleetStore store, CancellationToken cancellationToken) =>
        {
            _ = await GetAsync(store, id, cancellationToken).ConfigureAwait(false);
            var all = new List<DeviceDeploymentShape>();
            for (var page = 1; ; page++)
            {
                var batch = await store.ListDeviceDeploymentsAsync(id, page, 1000, cancellationToken).ConfigureAwait(false);
                all.AddRange(batch.Items.Select(MenderShapes.DeviceDeployment));
                if (batch.Items.Count < 1000)
                {
                    return Results.Ok(all);
                }
            }
        });
        app.MapGet(Base + "/{id}/devices/list", async (string id, HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            _ = await GetAsync(store, id, cancellationToken).ConfigureAwait(false);
            var (page, perPage) = Paging.Read(context.Request);
            var result = await store.ListDeviceDeploymentsAsync(id, page, perPage, cancellationToken).ConfigureAwait(false);
            Paging.WriteHeaders(context, page, perPage, result.Total);
            return Results.Ok(result.Items.Select(MenderShapes.DeviceDeployment).ToList());
        });
        app.MapGet(Base + "/{id}/devices/{deviceId}/log", async (string id, string deviceId, IFleetStore store, RolloutEngine engine, CancellationToken cancellationToken) =>
        {
            var view = await store.GetDeviceDeploymentAsync(id, deviceId, cancellationToken).ConfigureAwait(false)
                ?? throw ApiException.NotFound($"device {deviceId} is not part of deployment {id}");
            var log = await store.GetLogAsync(view.Device.Id, cancellationToken).ConfigureAwait(false)
                ?? throw ApiException.NotFound($"no log for device {deviceId} in deployment {id}");
            var redactor = await SecretRedactor.CurrentAsync(engine, cancellationToken).ConfigureAwait(false);
            return Results.Text(redactor.Text(FormatLog(log)), "text/plain", Encoding.UTF8);
        });
        app.MapPut(Base + "/{id}/status", async (string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<StatusBody>(context, cancellationToken).ConfigureAwait(false);
            if (!StatusNames.TryParse(body.Status, out DeviceDeploymentState status) || status != DeviceDeploymentState.Aborted)
            {
                throw ApiException.BadRequest("status must be \"aborted\"");
            }

            await deployments.AbortAsync(id, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(Roles.Operator);
        app.MapDelete(Base + "/devices/{deviceId}", async (string deviceId, DeploymentService deployments, CancellationToken cancellationToken) =>
        {
            await deployments.AbortDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet(Base + "/devices/{deviceId}", async (string deviceId, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var history = await store.ListDeviceHistoryAsync(deviceId, cancellationToken).ConfigureAwait(false);
            return Results.Ok(history.Select(h => new DeviceHistoryEntry(h.Device.Id, MenderShapes.Deployment(h.Deployment), MenderShapes.DeviceDeployment(h.Device))).ToList());
        });
    }

    /// <summary>A deployment create (or deviceconfig deploy) answer: 201 + Location, or the earlier one for a repeated Idempotency-Key.</summary>
    public static string? IdempotencyKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = context.Request.Headers[IdempotencyHeader].ToString();
        if (key.Length == 0)
        {
            return null;
        }

        return key.Length <= 256 ? key : throw ApiException.BadRequest("Idempotency-Key is longer than 256 characters");
    }

    public static DeploymentTrace? Trace(TraceBody? trace)
    {
        if (trace is null)
        {
            return null;
        }

        foreach (var (value, name) in new[] { (trace.Branch, "branch"), (trace.Commit, "commit"), (trace.Author, "author"), (trace.Subject, "subject") })
        {
            if (value is { Length: > 1024 })
            {
                throw ApiException.BadRequest($"trace.{name} is longer than 1024 characters");
            }
        }

        return new DeploymentTrace(trace.Branch, trace.Commit, trace.Author, trace.Subject);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, DeploymentService deployments, string? group, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<CreateBody>(context, cancellationToken).ConfigureAwait(false);
        var outcome = await deployments.CreateAsync(new CreateDeploymentCommand
        {
            Name = body.Name ?? "",
            ArtifactName = body.ArtifactName ?? "",
            DeviceIds = group is null ? body.Devices : null,
            Group = group,
            AllDevices = group is null && body.AllDevices,
            Retries = body.Retries ?? 0,
            Trace = Trace(body.Trace),
            IdempotencyKey = IdempotencyKey(context),
        }, cancellationToken).ConfigureAwait(false);
        context.Response.Headers.Location = $"{Base}/{outcome.Deployment.Id}";
        return Results.Created($"{Base}/{outcome.Deployment.Id}", null);
    }

    private static async Task<DeploymentRecord> GetAsync(IFleetStore store, string id, CancellationToken cancellationToken) =>
        await store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"deployment {id} not found");

    private static string FormatLog(IReadOnlyList<DeploymentLogMessage> log)
    {
        var text = new StringBuilder();
        foreach (var message in log)
        {
            text.Append(CultureInfo.InvariantCulture, $"{message.Timestamp} {message.Level}: {message.Message}\n");
        }

        return text.ToString();
    }

    private sealed record CreateBody(string? Name, string? ArtifactName, List<string>? Devices, bool AllDevices, int? Retries, TraceBody? Trace);

    private sealed record StatusBody(string? Status);
}

/// <summary>The optional "trace" object of a deployment create or deviceconfig deploy.</summary>
internal sealed record TraceBody(string? Branch, string? Commit, string? Author, string? Subject);
