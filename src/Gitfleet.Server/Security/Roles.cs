namespace Gitfleet.Server.Security;

/// <summary>
/// What a management caller may do (docs/api.md). Ordered: each role may do everything the one before it may.
/// Users have a role (the first user, admin, is <see cref="Admin"/>); a personal access token has its own, never more
/// than its creator's; the static admin token is <see cref="Admin"/>.
/// </summary>
public static class Roles
{
    /// <summary>Reads only: lists, statuses, facts, the gate, history, searches.</summary>
    public const string Viewer = "viewer";

    /// <summary>Viewer, plus running the fleet: pause, resume and abort rollouts and deployments, accept or reject devices.</summary>
    public const string Operator = "operator";

    /// <summary>Everything: targets, deployments, artifacts, configuration, tags, preauthorization, decommissioning.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);

    /// <summary>True when <paramref name="role"/> may do what <paramref name="needed"/> may (unknown roles may nothing).</summary>
    public static bool Allows(string? role, string needed) =>
        IsKnown(role) && IsKnown(needed) && Rank(role!) >= Rank(needed);

    private static int Rank(string role) => role switch
    {
        Viewer => 0,
        Operator => 1,
        _ => 2,
    };
}
