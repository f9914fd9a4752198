using System.Text.Json;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Gitfleet.Bench;

/// <summary>
/// Writes a server database for a generated fleet directly (bulk SQL, one transaction): accepted devices with
/// identity, inventory, tags and reported configuration, as if they had registered and reported through the API,
/// plus OS artifact records for the images a bench change deploys.
/// </summary>
internal static class BenchStore
{
    public static async Task CreateAsync(string path, IReadOnlyList<DeviceFacts> devices, IEnumerable<(string Name, string DeviceType)> artifacts, DateTimeOffset now)
    {
        await (await SqliteFleetStore.OpenAsync(path, CancellationToken.None)).DisposeAsync();
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = OFF;";
            await pragma.ExecuteNonQueryAsync();
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        var ms = now.ToUnixTimeMilliseconds();
        var device = Prepare(connection, transaction,
            "INSERT INTO devices (id, status, identity_json, identity_key, device_type, artifact_name, group_name, created_ms, updated_ms, last_checkin_ms) VALUES ($id, 'accepted', $identity, $identity, $type, $artifact, NULL, $now, $now, $now)",
            "$id", "$identity", "$type", "$artifact", "$now");
        var attribute = Prepare(connection, transaction,
            "INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES ($id, $scope, $name, $value, $now)",
            "$id", "$scope", "$name", "$value", "$now");
        var configuration = Prepare(connection, transaction,
            "INSERT INTO configurations (device_id, reported_json, reported_ms, reported_checksum) VALUES ($id, $json, $now, $checksum)", "$id", "$json", "$now", "$checksum");
        foreach (var facts in devices)
        {
            var identity = DeviceIdentity.Key(facts.Identity);
            Run(device, facts.Id, identity, facts.DeviceType, facts.ArtifactName, ms);
            foreach (var (scope, map) in new[] { ("identity", facts.Identity), ("inventory", facts.Attributes), ("tags", facts.Tags) })
            {
                foreach (var (name, value) in map)
                {
                    Run(attribute, facts.Id, scope, name, JsonSerializer.Serialize(value), ms);
                }
            }

            Run(attribute, facts.Id, "inventory", "device_type", JsonSerializer.Serialize(facts.DeviceType), ms);
            Run(attribute, facts.Id, "inventory", "artifact_name", JsonSerializer.Serialize(facts.ArtifactName), ms);
            if (facts.ReportedConfiguration is { } reported)
            {
                Run(configuration, facts.Id, JsonSerializer.Serialize(new SortedDictionary<string, string>(reported.ToDictionary(), StringComparer.Ordinal)), ms, ConfigurationChecksum.Compute(reported));
            }
        }

        var artifact = Prepare(connection, transaction,
            "INSERT INTO artifacts (id, name, description, device_types_json, metadata_json, size, checksum, signed, file_name, generated, created_ms) VALUES ($id, $name, '', $types, $metadata, 8192, NULL, 0, $file, 0, $now)",
            "$id", "$name", "$types", "$metadata", "$file", "$now");
        foreach (var (name, type) in artifacts)
        {
            var id = Guid.NewGuid().ToString();
            Run(artifact, id, name, JsonSerializer.Serialize(new[] { type }), JsonSerializer.Serialize(new Gitfleet.Artifacts.ArtifactInfo { Name = name, DeviceTypesCompatible = [type] }), id + ".mender", ms);
        }

        await transaction.CommitAsync();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }
}
