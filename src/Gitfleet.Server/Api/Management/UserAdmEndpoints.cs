using System.Net.Http.Headers;
using System.Text;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Hosting;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Management;

/// <summary>useradm: HTTP Basic login (token in the body and the JWT cookie), the current user, personal access tokens.</summary>
internal static class UserAdmEndpoints
{
    private const string Base = "/api/management/v1/useradm";

    public static void MapUserAdmApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Base + "/auth/login", LoginAsync).RequireRateLimiting(Throttling.RateLimits.LoginPolicy).AllowAnonymous();
        app.MapPost(Base + "/auth/logout", LogoutAsync).RequireRole(Roles.Viewer);
        app.MapGet(Base + "/users/me", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
        {
            var caller = context.User();
            var user = caller.StaticToken ? null : await store.GetUserAsync(caller.UserId, cancellationToken).ConfigureAwait(false);
            return user is null
                ? Results.Ok(new UserShape(caller.UserId, "admin-token", null, caller.Role))
                : Results.Ok(new UserShape(user.Id, user.Email, user.CreatedAt, caller.Role));
        });
        app.MapPost(Base + "/settings/tokens", CreateTokenAsync).RequireRole(Roles.Viewer);
        app.MapGet(Base + "/settings/tokens", async (HttpContext context, IFleetStore store, CancellationToken cancellationToken) =>
            Results.Ok((await store.ListAccessTokensAsync(context.User().UserId, cancellationToken).ConfigureAwait(false))
                .Select(t => new TokenShape(t.Id, t.Name, t.ExpiresAt, t.CreatedAt, t.Role))));
        app.MapDelete(Base + "/settings/tokens/{id}", async (string id, HttpContext context, AccessTokenService accessTokens, CancellationToken cancellationToken) =>
        {
            await accessTokens.RevokeAsync(context.User().UserId, id, cancellationToken).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(Roles.Viewer);
    }

    /// <summary>Ends the session: the token used is revoked (a login session until it would expire; a personal access token for good).</summary>
    private static async Task<IResult> LogoutAsync(HttpContext context, AccessTokenService accessTokens, CancellationToken cancellationToken)
    {
        var caller = context.User();
        switch (caller.Kind)
        {
            case TokenKind.User when caller is { TokenId: { } session, ExpiresAt: { } expires }:
                await accessTokens.RevokeSessionAsync(session, expires, cancellationToken).ConfigureAwait(false);
                break;
            case TokenKind.PersonalAccessToken when caller.TokenId is { } personal:
                await accessTokens.RevokeAsync(caller.UserId, personal, cancellationToken).ConfigureAwait(false);
                break;
        }

        context.Response.Cookies.Delete("JWT");
        return Results.Accepted();
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IFleetStore store, TokenService tokens, ServerOptions options, CancellationToken cancellationToken)
    {
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization.ToString(), out var header)
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            throw ApiException.Unauthorized("login needs HTTP Basic authentication (email and password)");
        }

        string email, password;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw ApiException.Unauthorized("malformed Basic credentials");
            }

            (email, password) = (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            throw ApiException.Unauthorized("malformed Basic credentials");
        }

        var user = await store.FindUserAsync(email, cancellationToken).ConfigureAwait(false);
        if (user is null || !PasswordHasher.Verify(password, user.PasswordHash))
        {
            throw ApiException.Unauthorized("wrong email or password");
        }

        var token = tokens.IssueUser(user.Id, options.UserTokenLifetime, Roles.IsKnown(user.Role) ? user.Role : Roles.Viewer);
        context.Response.Cookies.Append("JWT", token, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = options.UserTokenLifetime,
        });
        return Results.Text(token, "application/jwt", Encoding.ASCII);
    }

    private static async Task<IResult> CreateTokenAsync(
        HttpContext context, AccessTokenService accessTokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.User();
        if (caller.StaticToken)
        {
            throw ApiException.Forbidden("the static admin token cannot create personal access tokens; log in as a user");
        }

        var body = await JsonBody.ReadAsync<TokenRequest>(context, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 128)
        {
            throw ApiException.BadRequest("name is required (at most 128 characters)");
        }

        var role = body.Role ?? caller.Role;
        if (!Roles.IsKnown(role))
        {
            throw ApiException.BadRequest($"role must be one of {string.Join(", ", Roles.All)}, not '{role}'");
        }

        if (!Roles.Allows(caller.Role, role))
        {
            throw ApiException.Forbidden($"a {caller.Role} cannot create a token with the {role} role");
        }

        // A token never outlives the token that made it.
        var now = time.GetUtcNow();
        var left = (long)Math.Floor(((caller.ExpiresAt ?? now.AddYears(2)) - now).TotalSeconds);
        var seconds = body.ExpiresIn ?? Math.Min(MaxTokenSeconds, left);
        if (seconds is < 1 or > MaxTokenSeconds)
        {
            throw ApiException.BadRequest($"expires_in must be between 1 and {MaxTokenSeconds} seconds");
        }

        if (seconds > left)
        {
            throw ApiException.BadRequest($"expires_in ({seconds} s) would outlive the token making the request, which expires in {left} s");
        }

        var token = await accessTokens.CreateAsync(caller.UserId, body.Name, TimeSpan.FromSeconds(seconds), role, cancellationToken).ConfigureAwait(false);
        return Results.Text(token, "application/jwt", Encoding.ASCII);
    }

    private const long MaxTokenSeconds = 31_536_000;

    private sealed record TokenRequest(string? Name, long? ExpiresIn, string? Role);

    private sealed record UserShape(string Id, string Email, DateTimeOffset? CreatedTs, string Role);

    private sealed record TokenShape(string Id, string Name, DateTimeOffset ExpirationDate, DateTimeOffset CreatedTs, string Role);
}
