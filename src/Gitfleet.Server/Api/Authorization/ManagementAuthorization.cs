using System.Security.Claims;
using Gitfleet.Server.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api.Authorization;

/// <summary>
/// The one place the management API's roles are enforced: an authorization policy on the management route group.
/// An endpoint needs <see cref="Roles.Viewer"/> to read (GET) and <see cref="Roles.Admin"/> to change anything, unless
/// it says otherwise with <see cref="RequireRole{TBuilder}"/> (searches are reads; pausing a rollout is an operator's
/// job). The caller's role comes from <see cref="ApiMiddleware"/> (a claim of the request's user). A refusal is a 403
/// whose message names the role the caller has and the one the endpoint needs. Scopes (a role on some branches only)
/// fit here later: the handler sees the endpoint, its route values and the caller's claims.
/// </summary>
public static class ManagementAuthorization
{
    public const string Policy = "gitfleet-management";

    public static IServiceCollection AddGitfleetAuthorization(this IServiceCollection services)
    {
        services.AddSingleton<IAuthorizationHandler, RoleHandler>();
        services.AddSingleton<OperatorScopeRules>();
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ErrorResultHandler>();
        return services.AddAuthorization(options => options.AddPolicy(Policy, policy => policy.AddRequirements(new RoleRequirement(), new ScopeRequirement())));
    }

    /// <summary>The role an endpoint needs when it is not the default (viewer for GET, admin otherwise).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, string role)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Roles.IsKnown(role) ? builder.WithMetadata(new RequiredRole(role)) : throw new ArgumentException($"unknown role '{role}'", nameof(role));
    }

    /// <summary>The role an endpoint needs.</summary>
    public static string NeededRole(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role
            ?? (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? Roles.Viewer : Roles.Admin);
    }

    /// <summary>The claims a management caller carries (set by the middleware that authenticated it).</summary>
    public static ClaimsPrincipal Principal(ManagementCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, caller.UserId), new Claim(ClaimTypes.Role, caller.Role)],
            authenticationType: "gitfleet"));
    }

    private sealed record RequiredRole(string Role);

    private sealed class RoleRequirement : IAuthorizationRequirement;

    private sealed class RoleHandler : AuthorizationHandler<RoleRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
        {
            if (context.Resource is not HttpContext http)
            {
                context.Fail(new AuthorizationFailureReason(this, "the request could not be authorized"));
                return Task.CompletedTask;
            }

            var needed = NeededRole(http);
            var role = context.User.FindFirstValue(ClaimTypes.Role);
            if (Roles.Allows(role, needed))
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this,
                    $"the {role ?? "anonymous"} role may not {http.Request.Method} {http.Request.Path}: it needs the {needed} role"));
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Refusals as Mender-style JSON errors (there is no authentication scheme to challenge or forbid with).</summary>
    private sealed class ErrorResultHandler : IAuthorizationMiddlewareResultHandler
    {
        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded)
            {
                return next(context);
            }

            if (authorizeResult.Challenged || context.User.Identity?.IsAuthenticated != true)
            {
                return ApiMiddleware.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "missing token (Authorization: Bearer, or the JWT cookie)");
            }

            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
            return ApiMiddleware.WriteErrorAsync(context, StatusCodes.Status403Forbidden, reasons.Count > 0 ? string.Join("; ", reasons) : "forbidden");
        }
    }
}
