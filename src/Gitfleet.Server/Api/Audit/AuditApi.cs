using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gitfleet.Server.Api.Audit;

/// <summary>The audit log on the management API (admins), and users with their roles and operator scopes (admins).</summary>
internal static class AuditApi
{
    private const string Users = "/api/management/v1/useradm/users";

    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => (IAuditStore)sp.GetRequiredService<IFleetStore>());
        return services;
    }

    public static void MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/management/v1/gitfleet/audit", async (HttpContext context, IAuditStore store, CancellationToken cancellationToken) =>
        {
            var limit = int.TryParse(context.Request.Query["limit"], out var n) ? Math.Clamp(n, 1, 1000) : 100;
            var before = context.Request.Query["before"].ToString() is { Length: > 0 } b ? b : null;
            return Results.Ok(await store.ListAuditAsync(limit, before, cancellationToken).ConfigureAwait(false));
        }).RequireRole(Roles.Admin);

        app.MapGet(Users, async (IAuditStore store, CancellationToken cancellationToken) =>
            Results.Ok((await store.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Select(u => new UserShape(u.User.Id, u.User.Email, u.User.CreatedAt, u.User.Role, u.Scopes))))
            .RequireRole(Roles.Admin);
        app.MapPost(Users, CreateUserAsync);
        app.MapPut(Users + "/{id}/scopes", async (string id, HttpContext context, IAuditStore store, IFleetStore users, OperatorScopeRules rules, CancellationToken cancellationToken) =>
        {
            var user = await users.GetUserAsync(id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound($"user {id} not found");
            var body = await JsonBody.ReadAsync<ScopesBody>(context, cancellationToken).ConfigureAwait(false);
            var scopes = Scopes(body.Branches, body.Groups, user.Role);
            await store.SetScopesAsync(id, scopes, cancellationToken).ConfigureAwait(false);
            rules.Forget(id);
            return Results.NoContent();
        });
        app.MapDelete(Users + "/{id}", async (string id, HttpContext context, IAuditStore store, OperatorScopeRules rules, CancellationToken cancellationToken) =>
        {
            if (context.User().UserId == id)
            {
                throw ApiException.Conflict("a user cannot delete itself");
            }

            if (!await store.DeleteUserAsync(id, cancellationToken).ConfigureAwait(false))
            {
                throw ApiException.NotFound($"user {id} not found");
            }

            rules.Forget(id);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> CreateUserAsync(HttpContext context, IFleetStore users, IAuditStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<UserBody>(context, cancellationToken).ConfigureAwait(false);
        if (body.Email is not { Length: > 0 and <= 256 } email)
        {
            throw ApiException.BadRequest("email is required (at most 256 characters)");
        }

        if (body.Password is not { Length: >= 8 and <= 256 } password)
        {
            throw ApiException.BadRequest("password must have 8 to 256 characters");
        }

        var role = body.Role ?? Roles.Viewer;
        if (!Roles.IsKnown(role))
        {
            throw ApiException.BadRequest($"role is one of {string.Join(", ", Roles.All)}, not '{role}'");
        }

        var scopes = Scopes(body.Branches, body.Groups, role);
        var user = new UserRecord(Guid.NewGuid().ToString(), email, PasswordHasher.Hash(password), time.GetUtcNow(), role);
        if (!await users.CreateUserAsync(user, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Conflict($"a user '{email}' exists");
        }

        await store.SetScopesAsync(user.Id, scopes, cancellationToken).ConfigureAwait(false);
        return Results.Created($"{Users}/{user.Id}", new UserShape(user.Id, user.Email, user.CreatedAt, user.Role, scopes));
    }

    /// <summary>Scopes limit operators; giving them to another role is a mistake worth a 400.</summary>
    private static OperatorScopes? Scopes(IReadOnlyList<string>? branches, IReadOnlyList<string>? groups, string role)
    {
        if (branches is null && groups is null)
        {
            return null;
        }

        if (role != Roles.Operator)
        {
            throw ApiException.BadRequest($"branches and groups scope operators; a {role} is not scoped");
        }

        if ((branches ?? []).Concat(groups ?? []).Any(s => s.Length is 0 or > 255))
        {
            throw ApiException.BadRequest("branch and group names must have 1 to 255 characters");
        }

        return new OperatorScopes(branches ?? [], groups ?? []);
    }

    private sealed record UserBody(string? Email, string? Password, string? Role, IReadOnlyList<string>? Branches, IReadOnlyList<string>? Groups);

    private sealed record ScopesBody(IReadOnlyList<string>? Branches, IReadOnlyList<string>? Groups);

    private sealed record UserShape(string Id, string Email, DateTimeOffset CreatedTs, string Role, OperatorScopes? Scopes);
}
