using System.Diagnostics;
using System.Net;
using Gitfleet.Server.Api;
using Gitfleet.Server.Metrics;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// Everything under /ui passes here: security headers (a strict content security policy: only the server's own
/// script and stylesheet), the session (pages redirect to the login, other requests answer 401), the request
/// latency metric, and errors as a plain HTML page (never a stack trace).
/// </summary>
internal sealed partial class DashboardMiddleware(
    RequestDelegate next, TokenService tokens, TokenRevocations revocations, IFleetStore store, ServerMetrics metrics, ILogger<DashboardMiddleware> logger)
{
    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Any other path is handed on as it is, without an async frame here (every device request passes).</summary>
    public Task InvokeAsync(HttpContext context) =>
        context.Request.Path.StartsWithSegments(DashboardApi.Base, StringComparison.Ordinal) ? DashboardAsync(context) : next(context);

    private async Task DashboardAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var started = Stopwatch.GetTimestamp();
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        var events = path.StartsWithSegments(DashboardApi.Base + "/events", StringComparison.Ordinal);
        if (!events)
        {
            // The server's own time until the response starts (a rendered page is sent once complete): bench/dashboard.sh reads it.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["Server-Timing"] = FormattableString.Invariant($"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1}");
                return Task.CompletedTask;
            });
        }

        try
        {
            if (!IsPublic(path))
            {
                var user = await DashboardSession.ReadAsync(context, tokens, revocations, store, context.RequestAborted).ConfigureAwait(false);
                if (user is null)
                {
                    if (HttpMethods.IsGet(context.Request.Method) && !events)
                    {
                        context.Response.Redirect($"{DashboardApi.Base}/login?return={Uri.EscapeDataString(path + context.Request.QueryString)}");
                    }
                    else
                    {
                        await ErrorAsync(context, 401, "Your session ended. Sign in again.").ConfigureAwait(false);
                    }

                    return;
                }

                context.Features.Set(user);
            }

            await next(context).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            await ErrorAsync(context, 400, "The form expired or did not come from this dashboard. Go back, reload the page and try again.").ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ErrorAsync(context, e.StatusCode, e.Message).ConfigureAwait(false);
        }
        catch (Domain.DomainException e)
        {
            await ErrorAsync(context, ApiMiddleware.StatusCode(e.Error), e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(context, e.StatusCode, "The request was not understood.").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser went away.
        }
        catch (Exception e)
        {
            LogUnhandled(e, context.Request.Method, path.Value ?? "");
            await ErrorAsync(context, 500, "Something went wrong on the server; the error is in its log.").ConfigureAwait(false);
        }
        finally
        {
            if (!events)
            {
                metrics.DashboardRequest(Stopwatch.GetElapsedTime(started));
            }
        }
    }

    private static bool IsPublic(PathString path) =>
        path.Equals(DashboardApi.Base + "/login", StringComparison.Ordinal) || path.StartsWithSegments(DashboardApi.Base + "/assets", StringComparison.Ordinal);

    /// <summary>A small self-contained error page (also used when the response has not started yet).</summary>
    public static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        var title = status switch
        {
            400 => "Bad request",
            401 => "Signed out",
            403 => "Not allowed",
            404 => "Not found",
            409 => "Conflict",
            _ => "Error",
        };
        await context.Response.WriteAsync($"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Gitfleet</title><link rel="stylesheet" href="{DashboardApi.Base}/assets/dashboard.css"></head>
            <body><main class="error-page"><h1>{title}</h1><p role="alert">{WebUtility.HtmlEncode(message)}</p>
            <p><a href="{DashboardApi.Base}/">Back to the stages</a></p></main></body></html>
            """, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Error, Message = "Unhandled dashboard error on {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
