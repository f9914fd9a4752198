using Gitfleet.Storage.Model;

namespace Gitfleet.Storage;

/// <summary>The audit log (who changed what through the server, when, from where, with what result) and operators' scopes.</summary>
public interface IAuditStore
{
    Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The newest entries first, optionally only those older than <paramref name="before"/> (an entry id, for paging).</summary>
    Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int max, string? before, CancellationToken cancellationToken);

    /// <summary>Every user (no password hashes), with their scopes.</summary>
    Task<IReadOnlyList<(UserRecord User, OperatorScopes? Scopes)>> ListUsersAsync(CancellationToken cancellationToken);

    /// <summary>A user's scopes; null when the user may act on every branch and group.</summary>
    Task<OperatorScopes?> GetScopesAsync(string userId, CancellationToken cancellationToken);

    Task SetScopesAsync(string userId, OperatorScopes? scopes, CancellationToken cancellationToken);

    Task<bool> DeleteUserAsync(string userId, CancellationToken cancellationToken);
}
