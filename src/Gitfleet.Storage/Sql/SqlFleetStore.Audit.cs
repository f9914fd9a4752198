using System.Text.Json;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore : IAuditStore
{
    private const string AuditColumns = "id, at_ms, actor, user_id, token_kind, token_id, role, via, action, target, address, status, result";
    private long auditSeq;

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            $"INSERT INTO audit_log ({AuditColumns}, seq) VALUES (@Id, @At, @Actor, @UserId, @TokenKind, @TokenId, @Role, @Via, @Action, @Target, @Address, @Status, @Result, @Seq)",
            new
            {
                entry.Id, At = Ms(entry.At), entry.Actor, entry.UserId, entry.TokenKind, entry.TokenId, entry.Role, entry.Via, entry.Action, entry.Target, entry.Address,
                entry.Status, entry.Result, Seq = Ms(entry.At) * 1000 + (Interlocked.Increment(ref auditSeq) % 1000),
            }, transaction, cancellationToken)).ConfigureAwait(false), cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(int max, string? before, CancellationToken cancellationToken) =>
        (await QueryAsync<AuditRow>(
            before is null
                ? $"SELECT {AuditColumns} FROM audit_log ORDER BY seq DESC LIMIT @max"
                : $"SELECT {AuditColumns} FROM audit_log WHERE seq < (SELECT seq FROM audit_log WHERE id = @before) ORDER BY seq DESC LIMIT @max",
            new { max, before }, cancellationToken).ConfigureAwait(false)).Select(r => new AuditEntry
            {
                Id = r.Id, At = FromMs(r.AtMs), Actor = r.Actor, UserId = r.UserId, TokenKind = r.TokenKind, TokenId = r.TokenId, Role = r.Role, Via = r.Via,
                Action = r.Action, Target = r.Target, Address = r.Address, Status = r.Status, Result = r.Result,
            }).ToList();

    public async Task<IReadOnlyList<(UserRecord User, OperatorScopes? Scopes)>> ListUsersAsync(CancellationToken cancellationToken) =>
        (await QueryAsync<(string Id, string Email, long CreatedMs, string Role, string? ScopesJson)>(
            "SELECT id, email, created_ms, role, scopes_json FROM users ORDER BY email", null, cancellationToken).ConfigureAwait(false))
            .Select(r => (new UserRecord(r.Id, r.Email, "", FromMs(r.CreatedMs), r.Role), Scopes(r.ScopesJson))).ToList();

    public async Task<OperatorScopes?> GetScopesAsync(string userId, CancellationToken cancellationToken) =>
        Scopes((await QueryAsync<string?>("SELECT scopes_json FROM users WHERE id = @userId", new { userId }, cancellationToken).ConfigureAwait(false)).FirstOrDefault());

    public Task SetScopesAsync(string userId, OperatorScopes? scopes, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            "UPDATE users SET scopes_json = @json WHERE id = @userId",
            new { userId, json = scopes is null ? null : JsonSerializer.Serialize(new ScopesDocument(scopes.Branches, scopes.Groups)) }, transaction, cancellationToken)).ConfigureAwait(false),
            cancellationToken);

    public Task<bool> DeleteUserAsync(string userId, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(Command("DELETE FROM access_tokens WHERE user_id = @userId", new { userId }, transaction, cancellationToken)).ConfigureAwait(false);
            return await connection.ExecuteAsync(Command("DELETE FROM users WHERE id = @userId", new { userId }, transaction, cancellationToken)).ConfigureAwait(false) > 0;
        }, cancellationToken);

    private static OperatorScopes? Scopes(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<ScopesDocument>(json) is { } d ? new OperatorScopes(d.Branches ?? [], d.Groups ?? []) : null;

    private sealed record ScopesDocument(IReadOnlyList<string>? Branches, IReadOnlyList<string>? Groups);

    private sealed class AuditRow
    {
        public string Id { get; set; } = "";
        public long AtMs { get; set; }
        public string Actor { get; set; } = "";
        public string? UserId { get; set; }
        public string? TokenKind { get; set; }
        public string? TokenId { get; set; }
        public string? Role { get; set; }
        public string Via { get; set; } = "";
        public string Action { get; set; } = "";
        public string Target { get; set; } = "";
        public string? Address { get; set; }
        public int Status { get; set; }
        public string Result { get; set; } = "";
    }
}
