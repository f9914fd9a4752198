using System.Collections.Concurrent;

namespace Gitfleet.Server.Security;

/// <summary>Ids of personal access tokens that exist (loaded at start); revoking one removes it at once.</summary>
public sealed class AccessTokenRegistry
{
    private readonly ConcurrentDictionary<string, byte> active = new(StringComparer.Ordinal);

    public bool IsActive(string id) => active.ContainsKey(id);

    public void Add(string id) => active[id] = 0;

    public void Remove(string id) => active.TryRemove(id, out _);
}
