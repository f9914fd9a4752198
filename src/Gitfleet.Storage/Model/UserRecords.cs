namespace Gitfleet.Storage.Model;

public sealed record UserRecord(string Id, string Email, string PasswordHash, DateTimeOffset CreatedAt);

/// <summary>A personal access token; the token itself is a signed JWT whose jti is <see cref="Id"/>.</summary>
public sealed record AccessTokenRecord(string Id, string UserId, string Name, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);
