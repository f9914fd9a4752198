using Gitfleet.Server.Api;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Dashboard;

/// <summary>The signed-in person of a dashboard request.</summary>
public sealed record DashboardUser(string Id, string Email, string Role);

/// <summary>
/// The dashboard's session: a user token (the same HS256 JWT useradm's login issues) in a cookie that is
/// HttpOnly, Secure on HTTPS, SameSite=Strict and scoped to /ui. Pages need it; without it a page redirects to the
/// login and anything else answers 401.
/// </summary>
internal static class DashboardSession
{
    public const string CookieName = "gitfleet_session";

    public static void Start(HttpContext context, string token, TimeSpan lifetime) =>
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = DashboardApi.Base,
            MaxAge = lifetime,
        });

    public static void End(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = DashboardApi.Base, Secure = context.Request.IsHttps, SameSite = SameSiteMode.Strict, HttpOnly = true });

    /// <summary>The session's user, or null when there is no valid session (missing, expired, revoked, not a login token).</summary>
    public static async Task<DashboardUser?> ReadAsync(HttpContext context, TokenService tokens, TokenRevocations revocations, IFleetStore store, CancellationToken cancellationToken)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token)
            || !tokens.TryValidate(token, out var claims) || claims.Kind != TokenKind.User || revocations.IsRevoked(claims.Id))
        {
            return null;
        }

        // The user's role as stored now (a role changed by an admin applies at the next page).
        var user = await store.GetUserAsync(claims.Subject, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return null;
        }

        context.Features.Set(new ManagementCaller(user.Id, StaticToken: false) { Role = user.Role, Kind = TokenKind.User, TokenId = claims.Id, ExpiresAt = claims.ExpiresAt });
        return new DashboardUser(user.Id, user.Email, user.Role);
    }
}
