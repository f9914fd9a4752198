namespace Gitfleet.Server.Security;

public enum TokenKind
{
    Device,
    User,

    /// <summary>A personal access token: a user token whose id must still be registered (not revoked).</summary>
    PersonalAccessToken,
}

/// <summary>What a valid token says: who, what kind, until when, and (user tokens) with which role; null for tokens issued before roles.</summary>
public readonly record struct TokenClaims(TokenKind Kind, string Subject, string Id, DateTimeOffset ExpiresAt, string? Role = null);
