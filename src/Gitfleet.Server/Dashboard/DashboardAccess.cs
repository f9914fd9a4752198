using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Dashboard;

/// <summary>
/// What the signed-in user may do on a page, for showing or hiding its buttons. The actions themselves are
/// authorized again when they are posted, by the same rules as the management API.
/// </summary>
internal static class DashboardAccess
{
    /// <summary>Null when the user may pause, resume and abort the branch's rollout; else why not.</summary>
    public static string? DenyControl(HttpContext? context, string branch) => context?.Features.Get<DashboardUser>() is null ? "Sign in to control rollouts." : null;

    /// <summary>Null when the user may accept and reject devices; else why not.</summary>
    public static string? DenyAdmission(HttpContext? context) => context?.Features.Get<DashboardUser>() is null ? "Sign in to admit devices." : null;
}
