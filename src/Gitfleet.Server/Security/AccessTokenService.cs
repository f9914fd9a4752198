using Gitfleet.Server.Domain;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Security;

/// <summary>
/// The one owner of personal access tokens and revoked login sessions: the store is written first, then the
/// in-memory registries the request path checks, so a revoked token is refused on its very next use. Endpoints
/// and the replica views never write the registries (what other replicas commit arrives through
/// AccessTokenService.Replicas.cs).
/// </summary>
public sealed partial class AccessTokenService(IFleetStore store, AccessTokenRegistry registry, TokenRevocations revocations, TokenService tokens, TimeProvider time)
{
    /// <summary>Creates a token for <paramref name="userId"/> with <paramref name="role"/>; returns the signed token (shown once).</summary>
    public async Task<string> CreateAsync(string userId, string name, TimeSpan lifetime, string role, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = Guid.NewGuid().ToString();
        await store.CreateAccessTokenAsync(new AccessTokenRecord(id, userId, name, now.Add(lifetime), now, role), cancellationToken).ConfigureAwait(false);
        registry.Add(id, role);
        return tokens.IssuePersonalAccessToken(userId, id, lifetime, role);
    }

    /// <summary>Revokes a login session (logout) until it would have expired.</summary>
    public async Task RevokeSessionAsync(string sessionId, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await store.RevokeTokenAsync(sessionId, expires, now, cancellationToken).ConfigureAwait(false);
        revocations.Revoke(sessionId, expires, now);
    }

    public async Task RevokeAsync(string userId, string tokenId, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAccessTokenAsync(userId, tokenId, cancellationToken).ConfigureAwait(false))
        {
            throw DomainException.NotFound($"token {tokenId} not found");
        }

        registry.Remove(tokenId);
    }
}
