using Gitfleet.Storage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// Many rows into one table through binary COPY: the rows go into a temporary staging table of the same column types
/// (<c>COPY … FROM STDIN (FORMAT BINARY)</c>, one stream), then one <c>INSERT … SELECT</c> moves them over, with the
/// table's <c>ON CONFLICT</c> rule for an upsert. One statement fires the table's statement triggers once (the change
/// feed's "pending deployments" row per device), where a statement per row fired them per row.
/// Runs inside the caller's transaction; the staging table is dropped at the end (and at commit or rollback anyway).
/// </summary>
internal static class PostgresBulkCopy
{
    public static async Task<int> InsertAsync<T>(NpgsqlConnection connection, BulkTable table, IEnumerable<T> rows, Action<T, object?[]> bind, CancellationToken cancellationToken)
    {
        var staging = "gitfleet_bulk_" + table.Table;
        var columns = table.ColumnList;
        await ExecuteAsync(connection,
            $"DROP TABLE IF EXISTS pg_temp.{staging}; CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {columns}, 0::bigint AS bulk_order FROM {table.Table} WITH NO DATA",
            cancellationToken).ConfigureAwait(false);
        var types = await ColumnTypesAsync(connection, staging, table.Columns.Count, cancellationToken).ConfigureAwait(false);

        var values = new object?[table.Columns.Count];
        long order = 0;
        await using (var import = await connection.BeginBinaryImportAsync($"COPY {staging} ({columns}, bulk_order) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in rows)
            {
                Array.Clear(values);
                bind(row, values);
                await import.StartRowAsync(cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < values.Length; i++)
                {
                    await WriteAsync(import, values[i] is TypedValue typed ? typed.Value : values[i], types[i], cancellationToken).ConfigureAwait(false);
                }

                await import.WriteAsync(order++, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            }

            await import.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        // A later row wins over an earlier one with the same key (an upsert may not touch one row twice).
        var select = table.Key is { } key
            ? $"SELECT DISTINCT ON ({string.Join(", ", key)}) {columns} FROM {staging} ORDER BY {string.Join(", ", key)}, bulk_order DESC"
            : $"SELECT {columns} FROM {staging} ORDER BY bulk_order";
        var written = await ExecuteAsync(connection, $"INSERT INTO {table.Table} ({columns}) {select}{table.Conflict}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"DROP TABLE {staging}", cancellationToken).ConfigureAwait(false);
        return written;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The staging table's column types, as COPY's binary format needs each value in exactly its column's type.</summary>
    private static async Task<NpgsqlDbType[]> ColumnTypesAsync(NpgsqlConnection connection, string staging, int count, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = 'pg_temp.{staging}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            connection);
        var types = new List<NpgsqlDbType>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && types.Count < count)
        {
            var name = reader.GetString(0);
            types.Add(name switch
            {
                "text" => NpgsqlDbType.Text,
                "int8" => NpgsqlDbType.Bigint,
                "int4" => NpgsqlDbType.Integer,
                "jsonb" => NpgsqlDbType.Jsonb,
                _ => throw new NotSupportedException($"bulk copy into {staging}: no binary writer for column type {name}"),
            });
        }

        return types.ToArray();
    }

    private static Task WriteAsync(NpgsqlBinaryImporter import, object? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null or DBNull ? import.WriteNullAsync(cancellationToken)
        : type switch
        {
            NpgsqlDbType.Bigint => import.WriteAsync(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), type, cancellationToken),
            NpgsqlDbType.Integer => import.WriteAsync(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture), type, cancellationToken),
            _ => import.WriteAsync((string)value, type, cancellationToken),
        };
}
