using System.Data.Common;
using Gitfleet.Storage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// An inventory or tags PUT/PATCH in one statement, one round trip: the device's row, the removed names (PUT) and the
/// values that differ from the stored ones, where the portable path sends three statements and one more per row
/// (bench/results/2026-12-07-pg-first.md). The values are compared as <c>jsonb</c>, so a list the device sends again
/// unchanged is not rewritten (the portable path compared <c>jsonb</c>'s re-spaced text with ours and rewrote every
/// list). A value that is stored already is not touched at all: no new row version, no index entry, no row lock.
/// Prepared once on the writer's connection; on its <see cref="SynchronousConnection"/> it runs synchronously.
/// </summary>
internal static class PostgresScopeWrite
{
    // The data-modifying CTEs all run, on the snapshot taken at the statement's start; the delete's and the insert's
    // names are disjoint (not sent / sent), so neither sees the other's rows. No device: no row in "device", nothing written.
    // The stored value is found by the primary key and compared after the join: as a NOT EXISTS with the value in its
    // condition, the planner probed the value index (scope, name, value_json, device_id) and walked every device with
    // that value (a storm's 10,000 devices of one device_type: quadratic).
    private const string Rows =
        """
        removed AS (
            DELETE FROM attributes a USING device
            WHERE @replace AND a.device_id = device.id AND a.scope = @scope AND a.name <> ALL (@names)),
        written AS (
            INSERT INTO attributes (device_id, scope, name, value_json, updated_ms)
            SELECT device.id, @scope, w.name, w.value, @now FROM device CROSS JOIN unnest(@names, @values) AS w (name, value)
            LEFT JOIN attributes s ON s.device_id = device.id AND s.scope = @scope AND s.name = w.name
            WHERE s.value_json IS DISTINCT FROM w.value
            ON CONFLICT (device_id, scope, name) DO UPDATE SET value_json = excluded.value_json, updated_ms = excluded.updated_ms)
        SELECT count(*) FROM device
        """;

    private const string InventorySql =
        $"""
        WITH device AS (
            UPDATE devices SET device_type = COALESCE(@deviceType, device_type), artifact_name = COALESCE(@artifactName, artifact_name),
                inventory_hash = @inventoryHash, updated_ms = @now
            WHERE id = @deviceId RETURNING id),
        {Rows}
        """;

    private const string OtherSql =
        $"""
        WITH device AS (UPDATE devices SET updated_ms = @now WHERE id = @deviceId RETURNING id),
        {Rows}
        """;

    /// <summary>Stores <paramref name="write"/>; false when the device is unknown.</summary>
    public static async Task<bool> ExecuteAsync(DbConnection connection, DbTransaction transaction, ScopeWrite write, CancellationToken cancellationToken)
    {
        var synchronous = connection is SynchronousConnection;
        var npgsql = (NpgsqlConnection)SynchronousConnection.Unwrap(connection);
        await using var command = new NpgsqlCommand(write.IsInventory ? InventorySql : OtherSql, npgsql, (NpgsqlTransaction)transaction);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string>("deviceId", NpgsqlDbType.Text) { TypedValue = write.DeviceId });
        parameters.Add(new NpgsqlParameter<long>("now", NpgsqlDbType.Bigint) { TypedValue = write.Ms });
        parameters.Add(new NpgsqlParameter<bool>("replace", NpgsqlDbType.Boolean) { TypedValue = write.Replace });
        parameters.Add(new NpgsqlParameter<string>("scope", NpgsqlDbType.Text) { TypedValue = write.Scope });
        parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. write.Wanted.Keys] });
        parameters.Add(new NpgsqlParameter<string[]>("values", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = [.. write.Wanted.Values] });
        if (write.IsInventory)
        {
            parameters.Add(Text("deviceType", write.DeviceType));
            parameters.Add(Text("artifactName", write.ArtifactName));
            parameters.Add(Text("inventoryHash", write.InventoryHash));
        }

        object? found;
        if (synchronous)
        {
            command.Prepare();
            found = command.ExecuteScalar();
        }
        else
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            found = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }

        return found is long count && count > 0;
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
