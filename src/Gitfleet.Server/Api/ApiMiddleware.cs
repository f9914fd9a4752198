using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Metrics;
using Gitfleet.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Api;

/// <summary>
/// The one place that authenticates requests and turns failures into Mender-style JSON errors
/// (<c>{"error": ..., "request_id": ...}</c>). Device paths need a device token of an accepted device; management
/// paths need a user token, a personal access token or the static admin token. Neither kind opens the other's API.
/// </summary>
internal sealed partial class ApiMiddleware(
    RequestDelegate next,
    TokenService tokens,
    DeviceRegistry registry,
    DeviceService devices,
    AccessTokenRegistry accessTokens,
    TokenRevocations revocations,
    ServerOptions options,
    ServerMetrics metrics,
    ILogger<ApiMiddleware> logger)
{
    private readonly byte[]? adminToken = options.AdminToken is { Length: > 0 } token ? Encoding.UTF8.GetBytes(token) : null;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var path = context.Request.Path;
        var deviceApi = path.StartsWithSegments("/api/devices", StringComparison.Ordinal);
        try
        {
            if (deviceApi)
            {
                AuthenticateDevice(context, path);
            }
            else if (path.StartsWithSegments("/api/management", StringComparison.Ordinal))
            {
                AuthenticateUser(context, path);
            }

            CheckText(context.Request);
            await next(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e.StatusCode, e.Message, e.RetryAfterSeconds).ConfigureAwait(false);
        }
        catch (DomainException e)
        {
            await WriteErrorAsync(context, StatusCode(e.Error), e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await WriteErrorAsync(context, e.StatusCode, e.StatusCode == 413 ? "the request body is too large" : e.Message).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, 400, "malformed JSON: " + e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e) when (e is System.Data.Common.DbException { IsTransient: true } or TimeoutException)
        {
            // The store is unreachable (restarting, failing over): nothing was committed, and the client may retry.
            LogStoreUnavailable(context.Request.Method, e.Message);
            await WriteErrorAsync(context, 503, "the store is unavailable; retry later").ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Download paths carry a link signature: never log it.
            var shown = path.StartsWithSegments(Deployments.DownloadLinks.Prefix, StringComparison.Ordinal) ? Deployments.DownloadLinks.Prefix + "/…" : path.Value ?? "";
            LogUnhandled(e, context.Request.Method, shown);
            await WriteErrorAsync(context, 500, "internal error").ConfigureAwait(false);
        }
        finally
        {
            metrics.Request(deviceApi, Stopwatch.GetTimestamp() - started, Stopwatch.Frequency);
        }
    }

    /// <summary>The one mapping of domain refusals to HTTP status codes.</summary>
    public static int StatusCode(DomainError error) => error switch
    {
        DomainError.Invalid => StatusCodes.Status400BadRequest,
        DomainError.NotFound => StatusCodes.Status404NotFound,
        DomainError.Conflict => StatusCodes.Status409Conflict,
        DomainError.Forbidden => StatusCodes.Status403Forbidden,
        DomainError.Unsatisfiable => StatusCodes.Status422UnprocessableEntity,
        DomainError.TooLarge => StatusCodes.Status413PayloadTooLarge,
        DomainError.NotYet => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    public static async Task WriteErrorAsync(HttpContext context, int status, string message, string? retryAfterSeconds = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var requestId = context.Request.Headers["X-MEN-RequestID"].ToString();
        if (requestId.Length == 0 || requestId.Length > 64)
        {
            requestId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers["X-MEN-RequestID"] = requestId;
        if (status == 503)
        {
            context.Response.Headers.RetryAfter = "5";
        }

        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gitfleet\"";
        }

        if (retryAfterSeconds is not null)
        {
            context.Response.Headers.RetryAfter = retryAfterSeconds;
        }

        await context.Response.WriteAsJsonAsync(new ErrorBody(message, requestId), ApiJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The path and query parameters as text the server may keep (bodies are checked when they are read).</summary>
    private static void CheckText(HttpRequest request)
    {
        WellFormedText.CheckString(request.Path.Value, "the request path");
        if (request.QueryString.HasValue)
        {
            WellFormedText.CheckQueryString(request.QueryString.Value);
        }
    }

    private void AuthenticateDevice(HttpContext context, PathString path)
    {
        if (path.StartsWithSegments("/api/devices/v1/authentication", StringComparison.Ordinal))
        {
            return;
        }

        var token = BearerToken(context);
        if (token.IsEmpty)
        {
            throw ApiException.Unauthorized("missing device token (Authorization: Bearer)");
        }

        if (!tokens.TryValidateDevice(token, out var deviceId))
        {
            if (tokens.TryValidate(token, out var claims) && claims.Kind != TokenKind.Device)
            {
                throw ApiException.Forbidden("a user token cannot call the device API");
            }

            throw ApiException.Unauthorized("the device token is invalid or expired");
        }

        if (!registry.IsAccepted(deviceId))
        {
            throw ApiException.Unauthorized("the device is not accepted");
        }

        devices.CheckIn(deviceId);
        context.Features.Set(new DeviceCaller(deviceId));
    }

    private void AuthenticateUser(HttpContext context, PathString path)
    {
        if (path.Equals("/api/management/v1/useradm/auth/login", StringComparison.Ordinal)
            || path.Equals("/api/management/v1/gitfleet/info", StringComparison.Ordinal))
        {
            return;
        }

        var token = BearerToken(context);
        if (token.IsEmpty && context.Request.Cookies.TryGetValue("JWT", out var cookie))
        {
            token = cookie;
        }

        if (token.IsEmpty)
        {
            throw ApiException.Unauthorized("missing token (Authorization: Bearer, or the JWT cookie)");
        }

        if (adminToken is not null && IsAdminToken(token))
        {
            SetCaller(context, new ManagementCaller("admin-token", StaticToken: true));
            return;
        }

        if (!tokens.TryValidate(token, out var claims))
        {
            throw ApiException.Unauthorized("the token is invalid or expired");
        }

        var role = claims.Kind switch
        {
            TokenKind.Device => throw ApiException.Forbidden("a device token cannot call the management API"),
            TokenKind.PersonalAccessToken => accessTokens.RoleOf(claims.Id) ?? throw ApiException.Unauthorized("the personal access token was revoked"),
            _ when revocations.IsRevoked(claims.Id) => throw ApiException.Unauthorized("the session ended (logout); log in again"),

            // Sessions from before roles existed were the admin user's.
            _ => claims.Role ?? Roles.Admin,
        };
        SetCaller(context, new ManagementCaller(claims.Subject, StaticToken: false)
        {
            Role = role,
            Kind = claims.Kind,
            TokenId = claims.Id,
            ExpiresAt = claims.ExpiresAt,
        });
    }

    /// <summary>The caller for the endpoints, and as the request's user for the authorization policy.</summary>
    private static void SetCaller(HttpContext context, ManagementCaller caller)
    {
        context.Features.Set(caller);
        context.User = Authorization.ManagementAuthorization.Principal(caller);
    }

    private bool IsAdminToken(ReadOnlySpan<char> token)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(token.Length, 1024))];
        if (token.Length > 1024)
        {
            return false;
        }

        var length = Encoding.UTF8.GetBytes(token, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..length], adminToken);
    }

    private static ReadOnlySpan<char> BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count != 1)
        {
            return default;
        }

        var value = header[0].AsSpan().Trim();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : default;
    }

    private sealed record ErrorBody(string Error, string RequestId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "The store is unavailable on {Method}: {Reason}; answered 503")]
    private partial void LogStoreUnavailable(string method, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
