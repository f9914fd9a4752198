using Gitfleet.Storage.Sql;
using Npgsql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// The same statement for each of a few rows, sent in one round trip (an <see cref="NpgsqlBatch"/>) where the shared
/// path sends one prepared statement per row. On PostgreSQL each statement is a round trip to the server, and device
/// writes run one after another on the group-commit writer, so an inventory PUT's 17 new attributes cost 17 round
/// trips of the writer's time; here one. The statement is prepared once on the connection (the group writer's lives
/// as long as the writer), so PostgreSQL does not parse and plan it again per row. Statement triggers fire per
/// statement, as before. On the group writer's <see cref="SynchronousConnection"/> the batch runs synchronously.
/// </summary>
internal static class PostgresStatementBatch
{
    /// <summary>Rows per batch: bounds one message's size; a bulk write of more rows sends several.</summary>
    public const int MaxRows = 256;

    public static async Task<int> ExecuteAsync<T>(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string sql, IReadOnlyList<string> names, IEnumerable<T> rows,
        Action<T, object?[]> bind, CancellationToken cancellationToken)
    {
        var synchronous = connection is SynchronousConnection;
        var npgsql = (NpgsqlConnection)SynchronousConnection.Unwrap(connection);
        var values = new object?[names.Count];
        var count = 0;
        foreach (var chunk in rows.Chunk(MaxRows))
        {
            await using var batch = new NpgsqlBatch(npgsql, (NpgsqlTransaction?)transaction);
            foreach (var row in chunk)
            {
                Array.Clear(values);
                bind(row, values);
                var command = new NpgsqlBatchCommand(sql);
                for (var i = 0; i < values.Length; i++)
                {
                    var parameter = new NpgsqlParameter { ParameterName = names[i] };
                    if (values[i] is TypedValue typed)
                    {
                        typed.Bind(parameter);
                    }
                    else
                    {
                        parameter.Value = values[i] ?? DBNull.Value;
                    }

                    command.Parameters.Add(parameter);
                }

                batch.BatchCommands.Add(command);
            }

            if (synchronous)
            {
                batch.Prepare();
                count += batch.ExecuteNonQuery();
            }
            else
            {
                await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
                count += await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return count;
    }
}
