using System.Collections.Concurrent;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Api.Audit;

/// <summary>
/// Writes every change made through the server to the audit log: each management-API request that is not a read, and
/// each dashboard action, once its answer is final (refusals included). It records who (the user's email, or the
/// static admin token), with which token (kind and id, never the token), what (the route and the path, never a query
/// string or a body), when, from which address, and the result. Registered outside the API's error handling so it
/// sees the status code the client got.
/// </summary>
internal sealed partial class AuditTrail(RequestDelegate next, IAuditStore store, IFleetStore users, TimeProvider time, ILogger<AuditTrail> logger)
{
    /// <summary>Set by a handler that knows who acted before anyone is authenticated (a login names the attempted user).</summary>
    public const string ActorItem = "gitfleet.audit.actor";

    /// <summary>Set by a handler whose outcome the status code does not show (a dashboard action that redirects with an error).</summary>
    public const string ResultItem = "gitfleet.audit.result";

    private readonly ConcurrentDictionary<string, string> emails = new(StringComparer.Ordinal);

    /// <summary>A request that changes nothing is handed on as it is, without an async frame here (every device request).</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var path = context.Request.Path;
        var via = path.StartsWithSegments("/api/management", StringComparison.Ordinal) && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) ? "api"
            : path.StartsWithSegments("/ui", StringComparison.Ordinal) && HttpMethods.IsPost(method) ? "dashboard"
            : null;
        return via is null ? next(context) : RecordedAsync(context, via);
    }

    private async Task RecordedAsync(HttpContext context, string via)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            await RecordAsync(context, via).ConfigureAwait(false);
        }
    }

    private async Task RecordAsync(HttpContext context, string via)
    {
        try
        {
            var caller = context.Features.Get<ManagementCaller>();
            var status = context.Response.StatusCode;
            var actor = caller is null ? context.Items[ActorItem] as string ?? "anonymous"
                : caller.StaticToken ? "admin-token"
                : await EmailAsync(caller.UserId).ConfigureAwait(false);
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            var result = context.Items[ResultItem] as string ?? (status < 400 ? "ok" : status is 401 or 403 ? "refused" : "failed");
            await store.AppendAuditAsync(new AuditEntry
            {
                Id = Guid.CreateVersion7().ToString(),
                At = time.GetUtcNow(),
                Actor = actor,
                UserId = caller?.StaticToken == false ? caller.UserId : null,
                TokenKind = caller is null ? null : caller.StaticToken ? "static" : caller.Kind == TokenKind.PersonalAccessToken ? "personal-access-token" : "session",
                TokenId = caller?.TokenId,
                Role = caller?.Role,
                Via = via,
                Action = $"{context.Request.Method} {route ?? context.Request.Path.Value}",
                Target = context.Request.Path.Value ?? "",
                Address = context.Connection.RemoteIpAddress?.ToString(),
                Status = status,
                Result = result,
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotRecorded(e, context.Request.Method, context.Request.Path.Value ?? "");
        }
    }

    private async Task<string> EmailAsync(string userId)
    {
        if (emails.TryGetValue(userId, out var email))
        {
            return email;
        }

        email = (await users.GetUserAsync(userId, CancellationToken.None).ConfigureAwait(false))?.Email ?? userId;
        emails[userId] = email;
        return email;
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Error, Message = "The audit entry of {Method} {Path} could not be written")]
    private partial void LogNotRecorded(Exception exception, string method, string path);
}
