using System.Collections.Concurrent;

namespace Gitfleet.Server.Security;

/// <summary>Personal access tokens that exist (loaded at start) and their roles; revoking one removes it at once.</summary>
public sealed class AccessTokenRegistry
{
    private readonly ConcurrentDictionary<string, string> active = new(StringComparer.Ordinal);

    public bool IsActive(string id) => active.ContainsKey(id);

    /// <summary>The role of an active token, or null when it was revoked (or never existed).</summary>
    public string? RoleOf(string id) => active.TryGetValue(id, out var role) ? role : null;

    /// <summary>Every token id held (a reload after missed changes removes those the store no longer has).</summary>
    public IReadOnlyCollection<string> Ids() => [.. active.Keys];

    public void Add(string id, string role) => active[id] = role;

    public void Remove(string id) => active.TryRemove(id, out _);
}
