using System.Collections.Concurrent;

namespace Gitfleet.Server.Security;

/// <summary>
/// Ids (jti) of login session tokens revoked by logout, each kept until the token would have expired anyway; loaded
/// from the store at start, so a revoked session stays revoked across restarts.
/// </summary>
public sealed class TokenRevocations
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> revoked = new(StringComparer.Ordinal);

    public bool IsRevoked(string id) => revoked.ContainsKey(id);

    /// <summary>Adds a revoked token and forgets those that expired by <paramref name="now"/>.</summary>
    public void Revoke(string id, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        revoked[id] = expiresAt;
        foreach (var (expiredId, until) in revoked)
        {
            if (until <= now)
            {
                revoked.TryRemove(expiredId, out _);
            }
        }
    }
}
