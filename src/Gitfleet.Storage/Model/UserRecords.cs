namespace Gitfleet.Storage.Model;

/// <summary>A user; <see cref="Role"/> is viewer, operator or admin (the first user is admin).</summary>
public sealed record UserRecord(string Id, string Email, string PasswordHash, DateTimeOffset CreatedAt, string Role = "admin");

/// <summary>A personal access token; the token itself is a signed JWT whose jti is <see cref="Id"/>. Its role is never above its creator's.</summary>
public sealed record AccessTokenRecord(string Id, string UserId, string Name, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string Role = "admin");

/// <summary>A login session token revoked by logout, remembered until it would have expired.</summary>
public sealed record RevokedToken(string Id, DateTimeOffset ExpiresAt);
