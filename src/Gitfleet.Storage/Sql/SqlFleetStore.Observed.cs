using System.Data.Common;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private static readonly Dictionary<string, string> NoReported = [];

    public async Task<IReadOnlyDictionary<string, DeviceFacts>> LoadObservedAsync(Func<string, DateTimeOffset?>? lastCheckIn, CancellationToken cancellationToken)
    {
        // Four independent reads, each on its own connection and thread (WAL readers do not block each other).
        var devices = Task.Run(() => ReadObservedDevicesAsync(cancellationToken), cancellationToken);
        var images = Task.Run(() => ReadInstalledImagesAsync(cancellationToken), cancellationToken);
        var reported = Task.Run(() => ReadReportedConfigurationsAsync(cancellationToken), cancellationToken);
        var inFlight = Task.Run(() => ReadInFlightAsync(cancellationToken), cancellationToken);
        await Task.WhenAll(devices, images, reported, inFlight).ConfigureAwait(false);

        var imageMaps = new Dictionary<string, CompactStringMap>(StringComparer.Ordinal);
        var result = new Dictionary<string, DeviceFacts>(devices.Result.Count, StringComparer.Ordinal);
        foreach (var row in devices.Result)
        {
            IReadOnlyDictionary<string, string> attributes = DeviceFacts.EmptyMap;
            if (images.Result.TryGetValue(row.Id, out var image))
            {
                if (!imageMaps.TryGetValue(image, out var map))
                {
                    map = new CompactStringMap([new(DeviceFacts.RootfsImageVersionAttribute, image)]);
                    imageMaps[image] = map;
                }

                attributes = map;
            }

            result[row.Id] = new DeviceFacts
            {
                Id = row.Id,
                Status = row.Status,
                DeviceType = row.DeviceType,
                ArtifactName = row.ArtifactName,
                Attributes = attributes,
                ReportedConfiguration = reported.Result.GetValueOrDefault(row.Id),
                LastCheckIn = lastCheckIn?.Invoke(row.Id) ?? FromMs(row.LastCheckInMs),
                InFlight = inFlight.Result.GetValueOrDefault(row.Id) ?? [],
            };
        }

        return result;
    }

    private async Task<List<ObservedDevice>> ReadObservedDevicesAsync(CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var rows = new List<ObservedDevice>();
        await foreach (var reader in ReadRowsAsync("SELECT id, status, device_type, artifact_name, last_checkin_ms FROM devices", cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ObservedDevice(
                reader.GetString(0),
                pool.Intern(reader.GetString(1)),
                reader.IsDBNull(2) ? null : pool.Intern(reader.GetString(2)),
                reader.IsDBNull(3) ? null : pool.Intern(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        return rows;
    }

    /// <summary>rootfs-image.version per device: what the device reports in its inventory, else what its check-ins provided.</summary>
    private async Task<Dictionary<string, string>> ReadInstalledImagesAsync(CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            $"""
            SELECT device_id, scope, value_json FROM attributes
            WHERE scope IN ('{AttributeScope.Inventory}', '{AttributeScope.Provides}') AND name = '{DeviceFacts.RootfsImageVersionAttribute}'
            """, cancellationToken).ConfigureAwait(false))
        {
            var value = pool.Intern(AttributeTextFast(reader.GetString(2)));
            if (reader.GetString(1) == AttributeScope.Inventory)
            {
                images[reader.GetString(0)] = value;
            }
            else
            {
                images.TryAdd(reader.GetString(0), value);
            }
        }

        return images;
    }

    private async Task<Dictionary<string, IReadOnlyDictionary<string, string>>> ReadReportedConfigurationsAsync(CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var byText = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var reported = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync("SELECT device_id, reported_json FROM configurations WHERE reported_json IS NOT NULL", cancellationToken).ConfigureAwait(false))
        {
            var json = reader.GetString(1);
            if (!byText.TryGetValue(json, out var map))
            {
                var parsed = JsonMaps.Deserialize(json);
                map = parsed.Count == 0 ? NoReported : new CompactStringMap(parsed.Select(kv => new KeyValuePair<string, string>(pool.Intern(kv.Key), pool.Intern(kv.Value))).ToList());
                byText[json] = map;
            }

            reported[reader.GetString(0)] = map;
        }

        return reported;
    }

    private async Task<Dictionary<string, List<InFlightDeployment>>> ReadInFlightAsync(CancellationToken cancellationToken)
    {
        var deployments = new Dictionary<string, (string Kind, string Artifact, string? Checksum, long Created, string? Commit)>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT id, kind, artifact_name, configuration_checksum, created_ms, trace_commit FROM deployments WHERE status <> 'finished'", cancellationToken).ConfigureAwait(false))
        {
            deployments[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5));
        }

        // Devices of one deployment in one status share one (immutable) record.
        var shared = new Dictionary<(string, string), InFlightDeployment>();
        var pool = new StringPool();
        var byDevice = new Dictionary<string, List<InFlightDeployment>>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT device_id, deployment_id, status FROM device_deployments WHERE finished = 0 ORDER BY device_id, seq", cancellationToken).ConfigureAwait(false))
        {
            var deploymentId = pool.Intern(reader.GetString(1));
            if (!deployments.TryGetValue(deploymentId, out var deployment))
            {
                continue;
            }

            var status = pool.Intern(reader.GetString(2));
            if (!shared.TryGetValue((deploymentId, status), out var flight))
            {
                var configuration = deployment.Kind == DeploymentKinds.Configuration;
                flight = new InFlightDeployment
                {
                    DeploymentId = deploymentId,
                    Kind = configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
                    ArtifactName = configuration ? null : deployment.Artifact,
                    ConfigurationChecksum = deployment.Checksum,
                    Status = status,
                    CreatedAt = FromMs(deployment.Created),
                    Commit = deployment.Commit,
                };
                shared[(deploymentId, status)] = flight;
            }

            var deviceId = reader.GetString(0);
            if (!byDevice.TryGetValue(deviceId, out var list))
            {
                list = new List<InFlightDeployment>(2);
                byDevice[deviceId] = list;
            }

            list.Add(flight);
        }

        return byDevice;
    }

    /// <summary>Streams a query's rows as the reader itself (read the columns before moving on).</summary>
    private async IAsyncEnumerable<DbDataReader> ReadRowsAsync(string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader;
        }
    }

    /// <summary>An attribute value's text; a plain JSON string (the common case) without a JSON parser.</summary>
    private static string AttributeTextFast(string valueJson) =>
        valueJson.Length >= 2 && valueJson[0] == '"' && valueJson[^1] == '"' && !valueJson.AsSpan(1, valueJson.Length - 2).ContainsAny('"', '\\')
            ? valueJson[1..^1]
            : JsonMaps.AttributeText(valueJson);

    private sealed record ObservedDevice(string Id, string Status, string? DeviceType, string? ArtifactName, long? LastCheckInMs);
}
