using Gitfleet.Server.Cluster;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Reconcile.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api;

/// <summary>
/// Push webhooks of GitHub, Gitea and GitLab. A missing or wrong signature is 401 and triggers nothing; a valid
/// push to a watched branch reconciles it at once (202), on the leader whichever replica received it; other events
/// and branches answer 204.
/// </summary>
internal static class WebhookEndpoints
{
    private const string Base = "/api/gitfleet/webhooks";
    private const int MaxPayloadBytes = 25 * 1024 * 1024;

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Base + "/github", (HttpContext context, ServerOptions options, ReconcileRequests watcher, CancellationToken cancellationToken) =>
            HandleAsync(context, options, watcher, (body, secret) => WebhookSignature.VerifyHmac(context.Request.Headers["X-Hub-Signature-256"], body, secret, "sha256="),
                context.Request.Headers["X-GitHub-Event"] == "push", cancellationToken));
        app.MapPost(Base + "/gitea", (HttpContext context, ServerOptions options, ReconcileRequests watcher, CancellationToken cancellationToken) =>
            HandleAsync(context, options, watcher, (body, secret) => WebhookSignature.VerifyHmac(context.Request.Headers["X-Gitea-Signature"], body, secret),
                context.Request.Headers["X-Gitea-Event"] == "push", cancellationToken));
        app.MapPost(Base + "/gitlab", (HttpContext context, ServerOptions options, ReconcileRequests watcher, CancellationToken cancellationToken) =>
            HandleAsync(context, options, watcher, (_, secret) => WebhookSignature.VerifyToken(context.Request.Headers["X-Gitlab-Token"], secret),
                context.Request.Headers["X-Gitlab-Event"] == "Push Hook", cancellationToken));
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context, ServerOptions options, ReconcileRequests watcher, Func<byte[], string, bool> verify, bool isPush, CancellationToken cancellationToken)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxPayloadBytes;
        }

        var body = await ReadAsync(context.Request.Body, cancellationToken).ConfigureAwait(false);
        if (options.WebhookSecret is not { Length: > 0 } secret)
        {
            throw ApiException.Unauthorized("webhooks are disabled: the server has no webhook secret (webhook_secret)");
        }

        if (!verify(body, secret))
        {
            throw ApiException.Unauthorized("the webhook signature is missing or does not match");
        }

        if (!isPush || PushEvent.Branch(body) is not { } branch || !watcher.Watches(branch))
        {
            return Results.NoContent();
        }

        await watcher.RequestAsync(branch, cancellationToken).ConfigureAwait(false);
        return Results.Json(new TriggeredShape(branch), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<byte[]> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxPayloadBytes)
            {
                throw new ApiException(413, $"the webhook payload exceeds {MaxPayloadBytes} bytes");
            }
        }

        return buffer.ToArray();
    }

    private sealed record TriggeredShape(string Branch);
}
