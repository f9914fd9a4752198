using Gitfleet.Server.Cluster;
using Gitfleet.Storage.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api;

/// <summary>
/// For load balancers and orchestrators, without authentication (they answer with no data): <c>/health/live</c>
/// says the process serves requests; <c>/health/ready</c> says this replica should get traffic: its memory views
/// are loaded, the store answers, and (with replicas) it follows the change feed, so what it serves is current.
/// A replica that is not ready answers 503 with the failing checks.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan PingLimit = TimeSpan.FromSeconds(2);

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", (Leadership leadership) => Results.Json(new LiveShape("live", leadership.ReplicaName), ApiJson.Options));
        app.MapGet("/health/ready", async (HttpContext context, ReplicaViews views, Leadership leadership, CancellationToken cancellationToken) =>
        {
            var cluster = context.RequestServices.GetService<IClusterStore>();
            var store = true;
            if (cluster is not null)
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(PingLimit);
                store = await cluster.PingAsync(limit.Token).ConfigureAwait(false);
            }

            var feed = cluster?.Changes.IsConnected ?? true;
            var ready = store && feed && views.Loaded;
            var shape = new ReadyShape(ready ? "ready" : "not-ready", leadership.ReplicaName, leadership.IsLeader ? "leader" : "follower",
                new ChecksShape(store ? "ok" : "unreachable", views.Loaded ? "ok" : "loading", feed ? "ok" : "disconnected"));
            return Results.Json(shape, ApiJson.Options, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }

    private sealed record LiveShape(string Status, string Replica);

    private sealed record ReadyShape(string Status, string Replica, string Role, ChecksShape Checks);

    private sealed record ChecksShape(string Store, string Views, string ChangeFeed);
}
