using Dapper;
using Gitfleet.Storage.Cluster;
using Npgsql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// A lease row in <c>leader_lease</c>, timed by the database's clock (replicas' clocks may disagree; the database's
/// is the one all of them read). Taking a free or expired lease increments its fencing token; so does renewing
/// one's own lease after it expired (a paused holder starts a new term, and its old writes are refused).
/// </summary>
internal sealed class PostgresLeaderLease(NpgsqlDataSource dataSource, string name, string holder, TimeSpan duration) : ILeaderLease
{
    private const string TakeOrRenew = """
        UPDATE leader_lease SET
            token = CASE WHEN holder = @holder AND expires_at > clock_timestamp() THEN token ELSE token + 1 END,
            acquired_at = CASE WHEN holder = @holder AND expires_at > clock_timestamp() THEN acquired_at ELSE clock_timestamp() END,
            holder = @holder,
            expires_at = clock_timestamp() + @ms * INTERVAL '1 millisecond'
        WHERE name = @name AND (holder IS NULL OR expires_at <= clock_timestamp() OR holder = @holder)
        RETURNING token, expires_at
        """;

    public string Name => name;

    public string Holder => holder;

    public async Task<LeaseState> TryAcquireAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO leader_lease (name, token) VALUES (@name, 0) ON CONFLICT (name) DO NOTHING", new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var taken = await connection.QuerySingleOrDefaultAsync<(long Token, DateTime ExpiresAt)?>(new CommandDefinition(
            TakeOrRenew, new { name, holder, ms = (long)duration.TotalMilliseconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (taken is { } term)
        {
            return new LeaseState(true, holder, term.Token, Utc(term.ExpiresAt));
        }

        var other = await connection.QuerySingleAsync<(string? Holder, DateTime? ExpiresAt)>(new CommandDefinition(
            "SELECT holder, expires_at FROM leader_lease WHERE name = @name", new { name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new LeaseState(false, other.Holder, 0, other.ExpiresAt is { } expires ? Utc(expires) : null);
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE leader_lease SET holder = NULL, expires_at = NULL WHERE name = @name AND holder = @holder",
            new { name, holder }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
