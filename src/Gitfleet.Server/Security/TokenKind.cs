namespace Gitfleet.Server.Security;

public enum TokenKind
{
    Device,
    User,

    /// <summary>A personal access token: a user token whose id must still be registered (not revoked).</summary>
    PersonalAccessToken,
}

/// <summary>What a valid token says: who, what kind, until when.</summary>
public readonly record struct TokenClaims(TokenKind Kind, string Subject, string Id, DateTimeOffset ExpiresAt);
