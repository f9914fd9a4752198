using System.Collections.Concurrent;
using Gitfleet.Server.Security;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitfleet.Server.Api.Authorization;

/// <summary>
/// Operators' scopes: a user may be limited to listed branches and (inventory) groups. A scoped caller may pause,
/// resume and abort only its branches' rollouts, abort only deployments traced to its branches, and accept or reject
/// only devices in its groups or branches. Reads are not scoped. The management API (through the authorization
/// policy, <see cref="ScopeHandler"/>) and the dashboard's actions ask the same questions here.
/// </summary>
internal sealed class OperatorScopeRules(IAuditStore users, IDashboardStore members, IFleetStore store)
{
    private readonly ConcurrentDictionary<string, OperatorScopes?> cache = new(StringComparer.Ordinal);

    public void Forget(string userId) => cache.TryRemove(userId, out _);

    public async Task<OperatorScopes?> ScopesOfAsync(ManagementCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.StaticToken)
        {
            return null;
        }

        if (cache.TryGetValue(caller.UserId, out var known))
        {
            return known;
        }

        var scopes = await users.GetScopesAsync(caller.UserId, cancellationToken).ConfigureAwait(false);
        cache[caller.UserId] = scopes;
        return scopes;
    }

    /// <summary>Null when the caller may act on the branch's rollout; else why not.</summary>
    public async Task<string?> DenyBranchAsync(ManagementCaller caller, string branch, CancellationToken cancellationToken) =>
        await ScopesOfAsync(caller, cancellationToken).ConfigureAwait(false) is { } scopes && !scopes.Branches.Contains(branch, StringComparer.Ordinal)
            ? $"this operator may act on the branches {List(scopes.Branches)} only, not {branch}"
            : null;

    /// <summary>Null when the caller may admit the device (its group or its branch is in scope); else why not.</summary>
    public async Task<string?> DenyDeviceAsync(ManagementCaller caller, string deviceId, CancellationToken cancellationToken)
    {
        if (await ScopesOfAsync(caller, cancellationToken).ConfigureAwait(false) is not { } scopes)
        {
            return null;
        }

        var device = await store.GetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
        var branch = (await members.GetBranchesAsync([deviceId], cancellationToken).ConfigureAwait(false)).GetValueOrDefault(deviceId);
        return (device?.Group is { } group && scopes.Groups.Contains(group, StringComparer.Ordinal)) || (branch is not null && scopes.Branches.Contains(branch, StringComparer.Ordinal))
            ? null
            : $"this operator may act on devices of the groups {List(scopes.Groups)} and the branches {List(scopes.Branches)} only; device {deviceId} is in neither";
    }

    /// <summary>Null when the caller may abort the deployment (traced to a branch in scope); else why not.</summary>
    public async Task<string?> DenyDeploymentAsync(ManagementCaller caller, string deploymentId, CancellationToken cancellationToken)
    {
        if (await ScopesOfAsync(caller, cancellationToken).ConfigureAwait(false) is not { } scopes)
        {
            return null;
        }

        var branch = (await store.GetDeploymentAsync(deploymentId, cancellationToken).ConfigureAwait(false))?.Trace?.Branch;
        return branch is not null && scopes.Branches.Contains(branch, StringComparer.Ordinal)
            ? null
            : $"this operator may act on deployments of the branches {List(scopes.Branches)} only";
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "(none)" : string.Join(", ", items);
}

/// <summary>The scope half of the management policy: operator actions on a branch, a device or a deployment outside the caller's scopes are a 403.</summary>
internal sealed class ScopeRequirement : IAuthorizationRequirement;

internal sealed class ScopeHandler(OperatorScopeRules rules) : AuthorizationHandler<ScopeRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http || http.Features.Get<ManagementCaller>() is not { } caller
            || ManagementAuthorization.NeededRole(http) != Roles.Operator)
        {
            context.Succeed(requirement);
            return;
        }

        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        var values = http.Request.RouteValues;
        var denied = values["branch"] is string branch ? await rules.DenyBranchAsync(caller, Uri.UnescapeDataString(branch), http.RequestAborted).ConfigureAwait(false)
            : pattern.Contains("/devauth/", StringComparison.Ordinal) && values["id"] is string device ? await rules.DenyDeviceAsync(caller, device, http.RequestAborted).ConfigureAwait(false)
            : pattern.Contains("/deployments/deployments/{id}", StringComparison.Ordinal) && values["id"] is string deployment
                ? await rules.DenyDeploymentAsync(caller, deployment, http.RequestAborted).ConfigureAwait(false)
            : null;
        if (denied is null)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, denied));
        }
    }
}
