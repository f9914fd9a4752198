using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Api;

/// <summary>The authenticated device of a device-API request.</summary>
public sealed record DeviceCaller(Guid Id)
{
    /// <summary>The id as text, made on first use (the 204 check-in never needs it).</summary>
    public string DeviceId => field ??= Id.ToString();
}

/// <summary>
/// The authenticated operator of a management-API request (a user's login session, a personal access token, or the
/// static admin token), with its role and, for a token, which one and until when.
/// </summary>
public sealed record ManagementCaller(string UserId, bool StaticToken)
{
    public string Role { get; init; } = Security.Roles.Admin;

    /// <summary>The token's kind and id (jti); null for the static admin token.</summary>
    public Security.TokenKind? Kind { get; init; }

    public string? TokenId { get; init; }

    /// <summary>When the token used expires; null for the static admin token.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

public static class CallerExtensions
{
    public static DeviceCaller Device(this HttpContext context) =>
        context.Features.Get<DeviceCaller>() ?? throw ApiException.Unauthorized();

    public static ManagementCaller User(this HttpContext context) =>
        context.Features.Get<ManagementCaller>() ?? throw ApiException.Unauthorized();
}

public static class RequestExtensions
{
    /// <summary>Where the caller reached the server (scheme, host, path base): links handed out are built under it.</summary>
    public static Uri BaseUri(this HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new Uri($"{request.Scheme}://{request.Host}{request.PathBase}/");
    }
}
