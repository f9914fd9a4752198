using Gitfleet.Server.Domain;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Security;

/// <summary>
/// The one owner of personal access tokens: the store is written first, then the in-memory registry the request
/// path checks, so a revoked token is refused on its very next use. Endpoints never write the registry.
/// </summary>
public sealed class AccessTokenService(IFleetStore store, AccessTokenRegistry registry, TokenService tokens, TimeProvider time)
{
    /// <summary>Creates a token for <paramref name="userId"/>; returns the signed token (shown once).</summary>
    public async Task<string> CreateAsync(string userId, string name, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = Guid.NewGuid().ToString();
        await store.CreateAccessTokenAsync(new AccessTokenRecord(id, userId, name, now.Add(lifetime), now), cancellationToken).ConfigureAwait(false);
        registry.Add(id);
        return tokens.IssuePersonalAccessToken(userId, id, lifetime);
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
