using System.Reflection;
using Gitfleet.Server.Api.Redaction;
using Gitfleet.Server.Facts;
using Gitfleet.Server.Metrics;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>Gitfleet's extensions (docs/api.md): server identification, bulk facts, and Prometheus metrics.</summary>
internal static class GitfleetEndpoints
{
    public static readonly string Version =
        typeof(GitfleetEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static void MapGitfleetApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/management/v1/gitfleet/info", () => Results.Ok(new InfoShape("gitfleet", Version, ["facts", "idempotency-key", "trace", "branches", "rollouts", "webhooks", "roles", "deltas"])))
            .AllowAnonymous();
        app.MapGet("/api/management/v1/gitfleet/facts", async (HttpContext context, FactsWriter facts, RolloutEngine engine) =>
        {
            var redactor = await SecretRedactor.CurrentAsync(engine, context.RequestAborted).ConfigureAwait(false);
            context.Response.ContentType = "application/json";
            await facts.WriteAsync(context.Response.BodyWriter, redactor, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/metrics", async (HttpContext context, ServerMetrics metrics, FleetGauges gauges, Cluster.ReplicaMetrics replica) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }).AllowAnonymous();
    }

    private sealed record InfoShape(string Name, string Version, IReadOnlyList<string> Features);
}
