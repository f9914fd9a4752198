namespace Gitfleet.Storage.Model;

/// <summary>
/// One change made through the server: who (the user, or the static admin token), with which token (its kind and id,
/// never the token), through what (api or dashboard), the action (method and route, or the dashboard action), its
/// target (the path, without query), from which address, and the result (status code and a word). Never a body.
/// </summary>
public sealed record AuditEntry
{
    public required string Id { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>The user's email, "admin-token", or "anonymous" (a failed login names the attempted user here).</summary>
    public required string Actor { get; init; }

    public string? UserId { get; init; }

    /// <summary>user (a login session), personal-access-token, static.</summary>
    public string? TokenKind { get; init; }

    public string? TokenId { get; init; }

    public string? Role { get; init; }

    /// <summary>api or dashboard.</summary>
    public required string Via { get; init; }

    public required string Action { get; init; }

    public required string Target { get; init; }

    public string? Address { get; init; }

    public required int Status { get; init; }

    /// <summary>ok, refused, failed.</summary>
    public required string Result { get; init; }
}

/// <summary>An operator's reach: the branches and the (inventory) groups whose rollouts and devices it may act on.</summary>
public sealed record OperatorScopes(IReadOnlyList<string> Branches, IReadOnlyList<string> Groups);
