using System.Data.Common;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    public async Task<UserRecord?> FindUserAsync(string email, CancellationToken cancellationToken) =>
        (await QueryAsync<UserRow>("SELECT id, email, password_hash, created_ms, role FROM users WHERE email = @email", new { email }, cancellationToken).ConfigureAwait(false))
            .Select(ToUser).FirstOrDefault();

    public async Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<UserRow>("SELECT id, email, password_hash, created_ms, role FROM users WHERE id = @id", new { id }, cancellationToken).ConfigureAwait(false))
            .Select(ToUser).FirstOrDefault();

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return WriteAsync(async (connection, transaction) =>
        {
            var exists = await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM users WHERE email = @Email", new { user.Email }, transaction, cancellationToken)).ConfigureAwait(false);
            if (exists > 0)
            {
                return false;
            }

            await connection.ExecuteAsync(Command(
                "INSERT INTO users (id, email, password_hash, created_ms, role) VALUES (@Id, @Email, @PasswordHash, @created, @Role)",
                new { user.Id, user.Email, user.PasswordHash, created = Ms(user.CreatedAt), user.Role }, transaction, cancellationToken)).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task CreateAccessTokenAsync(AccessTokenRecord token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            "INSERT INTO access_tokens (id, user_id, name, expires_ms, created_ms, role) VALUES (@Id, @UserId, @Name, @expires, @created, @Role)",
            new { token.Id, token.UserId, token.Name, expires = Ms(token.ExpiresAt), created = Ms(token.CreatedAt), token.Role }, transaction, cancellationToken)), cancellationToken);
    }

    public async Task<IReadOnlyList<AccessTokenRecord>> ListAccessTokensAsync(string? userId, CancellationToken cancellationToken) =>
        (await QueryAsync<TokenRow>(
            userId is null
                ? "SELECT id, user_id, name, expires_ms, created_ms, role FROM access_tokens ORDER BY created_ms"
                : "SELECT id, user_id, name, expires_ms, created_ms, role FROM access_tokens WHERE user_id = @userId ORDER BY created_ms",
            new { userId }, cancellationToken).ConfigureAwait(false))
        .Select(r => new AccessTokenRecord(r.Id, r.UserId, r.Name, FromMs(r.ExpiresMs), FromMs(r.CreatedMs), r.Role)).ToList();

    public Task<bool> DeleteAccessTokenAsync(string userId, string tokenId, CancellationToken cancellationToken) =>
        WriteAsync(async (DbConnection connection, DbTransaction transaction) => await connection.ExecuteAsync(Command(
            "DELETE FROM access_tokens WHERE id = @tokenId AND user_id = @userId", new { tokenId, userId }, transaction, cancellationToken)).ConfigureAwait(false) > 0,
            cancellationToken);

    public Task RevokeTokenAsync(string tokenId, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(Command("DELETE FROM revoked_tokens WHERE expires_ms <= @now", new { now = Ms(now) }, transaction, cancellationToken)).ConfigureAwait(false);
            return await connection.ExecuteAsync(Command(
                "INSERT INTO revoked_tokens (id, expires_ms) VALUES (@tokenId, @expires) ON CONFLICT (id) DO NOTHING",
                new { tokenId, expires = Ms(expiresAt) }, transaction, cancellationToken)).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<IReadOnlyList<RevokedToken>> ListRevokedTokensAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        (await QueryAsync<(string Id, long ExpiresMs)>("SELECT id, expires_ms FROM revoked_tokens WHERE expires_ms > @now", new { now = Ms(now) }, cancellationToken).ConfigureAwait(false))
            .Select(r => new RevokedToken(r.Id, FromMs(r.ExpiresMs))).ToList();

    private static UserRecord ToUser(UserRow row) => new(row.Id, row.Email, row.PasswordHash, FromMs(row.CreatedMs), row.Role);

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string Email { get; set; } = "";
        public string PasswordHash { get; set; } = "";
        public long CreatedMs { get; set; }
        public string Role { get; set; } = "admin";
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = "";
        public string UserId { get; set; } = "";
        public string Name { get; set; } = "";
        public long ExpiresMs { get; set; }
        public long CreatedMs { get; set; }
        public string Role { get; set; } = "admin";
    }
}
