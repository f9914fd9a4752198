using Dapper;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string ConfigurationColumns = "device_id, configured_json, configured_ms, reported_json, reported_ms, deployment_id";

    public async Task<ConfigurationRecord?> GetConfigurationAsync(string deviceId, CancellationToken cancellationToken) =>
        (await QueryAsync<ConfigurationRow>($"SELECT {ConfigurationColumns} FROM configurations WHERE device_id = @deviceId", new { deviceId }, cancellationToken).ConfigureAwait(false))
            .Select(ToConfiguration).FirstOrDefault();

    public Task SetConfiguredAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, DateTimeOffset now, CancellationToken cancellationToken) =>
        UpsertConfigurationAsync(deviceId, "configured_json", "configured_ms", JsonMaps.Serialize(configuration), now, cancellationToken);

    /// <summary>Stores the reported map with its checksum (the rollout engine compares checksums, not maps).</summary>
    public Task SetReportedAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var checksum = ConfigurationChecksum.Compute(configuration);
        var configurationJson = JsonMaps.Serialize(configuration);
        return GroupWriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            """
            INSERT INTO configurations (device_id, reported_json, reported_ms, reported_checksum) VALUES (@deviceId, @configurationJson, @now, @checksum)
            ON CONFLICT (device_id) DO UPDATE SET reported_json = excluded.reported_json, reported_ms = excluded.reported_ms, reported_checksum = excluded.reported_checksum
            """, new { deviceId, configurationJson = Json(configurationJson), now = Ms(now), checksum }, transaction, cancellationToken)));
    }

    public Task SetConfigurationDeploymentAsync(string deviceId, string deploymentId, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            """
            INSERT INTO configurations (device_id, deployment_id) VALUES (@deviceId, @deploymentId)
            ON CONFLICT (device_id) DO UPDATE SET deployment_id = excluded.deployment_id
            """, new { deviceId, deploymentId }, transaction, cancellationToken)), cancellationToken);

    public IAsyncEnumerable<ConfigurationRecord> StreamConfigurationsAsync(CancellationToken cancellationToken) =>
        StreamAsync<ConfigurationRow>($"SELECT {ConfigurationColumns} FROM configurations ORDER BY device_id", null, cancellationToken).Select(ToConfiguration);

    private Task UpsertConfigurationAsync(string deviceId, string jsonColumn, string timeColumn, string json, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            $"""
            INSERT INTO configurations (device_id, {jsonColumn}, {timeColumn}) VALUES (@deviceId, @json, @now)
            ON CONFLICT (device_id) DO UPDATE SET {jsonColumn} = excluded.{jsonColumn}, {timeColumn} = excluded.{timeColumn}
            """, new { deviceId, json = Json(json), now = Ms(now) }, transaction, cancellationToken)), cancellationToken);

    private static ConfigurationRecord ToConfiguration(ConfigurationRow row) => new()
    {
        DeviceId = row.DeviceId,
        Configured = row.ConfiguredJson is null ? null : JsonMaps.Deserialize(row.ConfiguredJson),
        ConfiguredAt = FromMs(row.ConfiguredMs),
        Reported = row.ReportedJson is null ? null : JsonMaps.Deserialize(row.ReportedJson),
        ReportedAt = FromMs(row.ReportedMs),
        DeploymentId = row.DeploymentId,
    };

    private sealed class ConfigurationRow
    {
        public string DeviceId { get; set; } = "";
        public string? ConfiguredJson { get; set; }
        public long? ConfiguredMs { get; set; }
        public string? ReportedJson { get; set; }
        public long? ReportedMs { get; set; }
        public string? DeploymentId { get; set; }
    }
}
