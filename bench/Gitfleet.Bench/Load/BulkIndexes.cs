using Npgsql;

namespace Gitfleet.Bench.Load;

/// <summary>
/// A bulk load's index shortcut: every index of the given tables (primary keys and unique constraints included)
/// is dropped before the COPY and made again after it from PostgreSQL's own definitions, so the schema ends exactly
/// as the migrations made it. Building an index by sorting takes a fraction of the time of inserting each of
/// millions of rows into it (random device ids touch a different B-tree page with almost every row).
/// </summary>
internal static class BulkIndexes
{
    /// <summary>A dropped index: the statement that makes it again.</summary>
    public sealed record Dropped(string Table, string Name, string CreateStatement);

    public static async Task<List<Dropped>> DropAsync(NpgsqlConnection connection, IReadOnlyList<string> tables)
    {
        var dropped = new List<Dropped>();
        await using (var query = new NpgsqlCommand(
            """
            SELECT t.relname, i.relname, c.conname, pg_get_constraintdef(c.oid), pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid
            WHERE t.relname = ANY(@tables) AND t.relnamespace = 'public'::regnamespace
            """, connection))
        {
            query.Parameters.AddWithValue("tables", tables.ToArray());
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var (table, index) = (reader.GetString(0), reader.GetString(1));
                dropped.Add(reader.IsDBNull(2)
                    ? new Dropped(table, index, reader.GetString(4))
                    : new Dropped(table, reader.GetString(2), $"ALTER TABLE {table} ADD CONSTRAINT {reader.GetString(2)} {reader.GetString(3)}"));
            }
        }

        foreach (var index in dropped)
        {
            var drop = index.CreateStatement.StartsWith("ALTER TABLE", StringComparison.Ordinal)
                ? $"ALTER TABLE {index.Table} DROP CONSTRAINT {index.Name}"
                : $"DROP INDEX {index.Name}";
            await using var command = new NpgsqlCommand(drop, connection);
            await command.ExecuteNonQueryAsync();
        }

        return dropped;
    }

    public static async Task CreateAsync(NpgsqlConnection connection, IReadOnlyList<Dropped> dropped)
    {
        await using (var memory = new NpgsqlCommand("SET maintenance_work_mem = '512MB'", connection))
        {
            await memory.ExecuteNonQueryAsync();
        }

        foreach (var index in dropped)
        {
            await using var command = new NpgsqlCommand(index.CreateStatement, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync();
        }
    }
}
