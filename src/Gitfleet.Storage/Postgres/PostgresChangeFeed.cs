using System.Net.Sockets;
using Dapper;
using Gitfleet.Storage.Cluster;
using Npgsql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// The change feed over PostgreSQL: triggers append to <c>change_log</c> in the writing transaction and
/// <c>NOTIFY</c> the channel; each replica <c>LISTEN</c>s on a connection of its own and reads the rows after its
/// position when woken, and at least every <see cref="PollInterval"/> (a notification lost with a connection is
/// caught up by the next read, since the rows stay).
/// </summary>
internal sealed class PostgresChangeFeed(PostgresLocation location, NpgsqlDataSource dataSource) : IChangeFeed
{
    public const string Channel = "gitfleet_changes";

    /// <summary>The listening session's application_name (pg_stat_activity shows which sessions follow the feed).</summary>
    public const string ApplicationName = "gitfleet-change-feed";
    private const int BatchSize = 5000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private volatile bool connected;

    public bool IsConnected => connected;

    public async Task<long> PositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await CurrentAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    public async Task FollowAsync(long position, Func<ChangeBatch, CancellationToken, Task> onBatch, Action<Exception> onConnectionLost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onBatch);
        ArgumentNullException.ThrowIfNull(onConnectionLost);
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Its own connection, outside the pool: LISTEN belongs to a session.
                await using var connection = new NpgsqlConnection(location.ConnectionString(b =>
                {
                    b.Pooling = false;
                    b.ApplicationName = ApplicationName;
                }));
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition($"LISTEN {Channel}", cancellationToken: cancellationToken)).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(250);
                while (!cancellationToken.IsCancellationRequested)
                {
                    position = await CatchUpAsync(connection, position, onBatch, cancellationToken).ConfigureAwait(false);
                    connected = true;
                    await connection.WaitAsync(PollInterval, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                connected = false;
                onConnectionLost(e);
                try
                {
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }

        connected = false;
    }

    private static async Task<long> CatchUpAsync(NpgsqlConnection connection, long position, Func<ChangeBatch, CancellationToken, Task> onBatch, CancellationToken cancellationToken)
    {
        var pruned = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT pruned_through FROM change_log_state WHERE id = 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (pruned > position)
        {
            // Changes this replica never saw are gone: it reloads every view, from a position read before the reload.
            var current = await CurrentAsync(connection, cancellationToken).ConfigureAwait(false);
            await onBatch(new ChangeBatch([], Reset: true) { Through = current }, cancellationToken).ConfigureAwait(false);
            position = current;
        }

        while (true)
        {
            var rows = (await connection.QueryAsync<(long Seq, string Kind, string Key)>(new CommandDefinition(
                "SELECT seq, kind, key FROM change_log WHERE seq > @position ORDER BY seq LIMIT @limit",
                new { position, limit = BatchSize }, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
            if (rows.Count == 0)
            {
                return position;
            }

            await onBatch(new ChangeBatch(rows.Select(r => new Change(r.Seq, r.Kind, r.Key)).ToList(), Reset: false) { Through = rows[^1].Seq }, cancellationToken).ConfigureAwait(false);
            position = rows[^1].Seq;
        }
    }

    /// <summary>
    /// The newest change's number, or the last pruned one when the leader pruned every change (a quiet hour): a
    /// replica that starts then follows from there, and is not told to reload again and again.
    /// </summary>
    private static Task<long> CurrentAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT GREATEST(COALESCE(MAX(seq), 0), (SELECT pruned_through FROM change_log_state WHERE id = 1)) FROM change_log",
            cancellationToken: cancellationToken));

    public async Task PublishAsync(string kind, string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("SELECT gitfleet_change(@kind, @key)", new { kind, key }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<int> PruneAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = (await connection.QueryAsync<long>(new CommandDefinition(
            "DELETE FROM change_log WHERE created_at < clock_timestamp() - @ms * INTERVAL '1 millisecond' RETURNING seq",
            new { ms = (long)age.TotalMilliseconds }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();
        if (deleted.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE change_log_state SET pruned_through = GREATEST(pruned_through, @max) WHERE id = 1",
                new { max = deleted.Max() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted.Count;
    }
}
