using Gitfleet.Server.Api;
using Gitfleet.Server.Api.Authorization;
using Gitfleet.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// What the signed-in user may do, by the management API's own rules (<see cref="Roles"/> and
/// <see cref="OperatorScopeRules"/>): pages use it to show or leave out their buttons, and the actions check it again
/// when they are posted (a 403 page), so a forged form gets no further than a hidden button.
/// </summary>
internal static class DashboardAccess
{
    /// <summary>Null when the user may pause, resume and abort the branch's rollout; else why not.</summary>
    public static async Task<string?> DenyControlAsync(HttpContext? context, string branch)
    {
        if (Caller(context) is not { } caller)
        {
            return "Sign in to control rollouts.";
        }

        if (!Roles.Allows(caller.Role, Roles.Operator))
        {
            return $"You have the {caller.Role} role: pausing, resuming and aborting need the operator role.";
        }

        return await context!.RequestServices.GetRequiredService<OperatorScopeRules>().DenyBranchAsync(caller, branch, context.RequestAborted).ConfigureAwait(false) is { } scope
            ? "You may not control this rollout: " + scope + "."
            : null;
    }

    /// <summary>Null when the user may accept and reject devices (each device is checked against the scopes when posted); else why not.</summary>
    public static string? DenyAdmission(HttpContext? context) =>
        Caller(context) is not { } caller ? "Sign in to admit devices."
        : Roles.Allows(caller.Role, Roles.Operator) ? null
        : $"You have the {caller.Role} role: accepting and rejecting devices need the operator role.";

    /// <summary>Null when the user may read the audit log and the users (admins); else why not.</summary>
    public static string? DenyAdministration(HttpContext? context) =>
        Caller(context) is { } caller && Roles.Allows(caller.Role, Roles.Admin) ? null : "The audit log is for the admin role.";

    private static ManagementCaller? Caller(HttpContext? context) => context?.Features.Get<ManagementCaller>();
}
