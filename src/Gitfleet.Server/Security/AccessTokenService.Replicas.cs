namespace Gitfleet.Server.Security;

/// <summary>
/// The token service's memory at start, and the changes other replicas commit (through the store's change feed,
/// followed by Cluster/ReplicaFollower): they update the same registries as this replica's own writes, so a token
/// revoked or a session logged out through another replica is refused here on its next use.
/// </summary>
public sealed partial class AccessTokenService
{
    /// <summary>Loads every active token and every revoked login session from the store (start, or after missed changes).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await ChangedElsewhereAsync(null, cancellationToken).ConfigureAwait(false);
        await RevokedElsewhereAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Tokens created or deleted elsewhere: adds the named tokens that exist and have not expired, removes the others
    /// (when <paramref name="ids"/> is null: every token stored or held, so one deleted while changes were missed goes too).
    /// </summary>
    public async Task ChangedElsewhereAsync(IReadOnlyList<string>? ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var active = (await store.ListAccessTokensAsync(null, cancellationToken).ConfigureAwait(false))
            .Where(t => t.ExpiresAt > now).ToDictionary(t => t.Id, t => t.Role, StringComparer.Ordinal);
        foreach (var id in ids ?? [.. active.Keys, .. registry.Ids()])
        {
            if (active.TryGetValue(id, out var role))
            {
                registry.Add(id, role);
            }
            else
            {
                registry.Remove(id);
            }
        }
    }

    /// <summary>Login sessions revoked (logout) through any replica: refused here too.</summary>
    public async Task RevokedElsewhereAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var revoked in await store.ListRevokedTokensAsync(now, cancellationToken).ConfigureAwait(false))
        {
            revocations.Revoke(revoked.Id, revoked.ExpiresAt, now);
        }
    }
}
