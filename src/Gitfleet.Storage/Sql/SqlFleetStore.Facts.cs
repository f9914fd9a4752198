using System.Runtime.CompilerServices;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const int FactsPageSize = 20_000;

    public async IAsyncEnumerable<IReadOnlyList<DeviceFacts>> StreamFactsAsync(
        Func<string, DateTimeOffset?>? lastCheckIn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deployments = await ReadUnfinishedDeploymentsAsync(cancellationToken).ConfigureAwait(false);
        var maps = new FactsMaps();
        var after = "";
        while (true)
        {
            var devices = await ReadFactsDevicesAsync(after, cancellationToken).ConfigureAwait(false);
            if (devices.Count == 0)
            {
                yield break;
            }

            var last = devices[^1].Id;
            var attributes = Task.Run(() => ReadFactsAttributesAsync(after, last, cancellationToken), cancellationToken);
            var configurations = Task.Run(() => ReadFactsConfigurationsAsync(after, last, cancellationToken), cancellationToken);
            var inFlight = Task.Run(() => ReadFactsInFlightAsync(after, last, deployments, cancellationToken), cancellationToken);
            await Task.WhenAll(attributes, configurations, inFlight).ConfigureAwait(false);
            var page = new List<DeviceFacts>(devices.Count);
            foreach (var device in devices)
            {
                var scopes = attributes.Result.GetValueOrDefault(device.Id);
                var configuration = configurations.Result.GetValueOrDefault(device.Id);
                page.Add(new DeviceFacts
                {
                    Id = device.Id,
                    Status = device.Status,
                    DeviceType = device.DeviceType,
                    ArtifactName = device.ArtifactName,
                    Identity = maps.Map(scopes?.Identity, share: false),
                    Tags = maps.Map(scopes?.Tags),
                    Attributes = maps.Map(scopes?.Inventory),
                    ReportedConfiguration = maps.Configuration(configuration.Reported),
                    ConfiguredConfiguration = maps.Configuration(configuration.Configured),
                    LastCheckIn = lastCheckIn?.Invoke(device.Id) ?? FromMs(device.LastCheckInMs),
                    InFlight = inFlight.Result.GetValueOrDefault(device.Id) ?? [],
                });
            }

            yield return page;
            after = last;
        }
    }

    private async Task<List<ObservedRow>> ReadFactsDevicesAsync(string after, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var devices = new List<ObservedRow>(FactsPageSize);
        await foreach (var reader in ReadRowsAsync(
            "SELECT id, status, device_type, artifact_name, last_checkin_ms FROM devices WHERE id > @after ORDER BY id LIMIT @limit",
            [("@after", after), ("@limit", FactsPageSize)], cancellationToken).ConfigureAwait(false))
        {
            devices.Add(new ObservedRow(
                reader.GetString(0),
                pool.Intern(reader.GetString(1)),
                reader.IsDBNull(2) ? null : pool.Intern(reader.GetString(2)),
                reader.IsDBNull(3) ? null : pool.Intern(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                null,
                null,
                false));
        }

        return devices;
    }

    /// <summary>Identity, inventory (provides as a fallback) and tags of the devices in (after, last], by device.</summary>
    private async Task<Dictionary<string, DeviceScopes>> ReadFactsAttributesAsync(string after, string last, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var result = new Dictionary<string, DeviceScopes>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT device_id, scope, name, value_json FROM attributes WHERE device_id > @after AND device_id <= @last ORDER BY device_id, scope, name",
            [("@after", after), ("@last", last)], cancellationToken).ConfigureAwait(false))
        {
            var deviceId = reader.GetString(0);
            if (!result.TryGetValue(deviceId, out var scopes))
            {
                scopes = new DeviceScopes();
                result[deviceId] = scopes;
            }

            var name = pool.Intern(reader.GetString(2));
            var value = pool.Intern(JsonMaps.AttributeText(reader.GetString(3)));
            switch (reader.GetString(1))
            {
                case AttributeScope.Identity:
                    scopes.Identity.Add(new(name, value));
                    break;
                case AttributeScope.Inventory:
                    scopes.Inventory.Add(new(name, value));
                    break;
                case AttributeScope.Provides:
                    // Rows come in scope order: what the device reports itself (inventory) wins.
                    if (!scopes.Inventory.Any(kv => kv.Key == name))
                    {
                        scopes.Inventory.Add(new(name, value));
                    }

                    break;
                case AttributeScope.Tags:
                    scopes.Tags.Add(new(name, value));
                    break;
            }
        }

        return result;
    }

    private async Task<Dictionary<string, (string? Reported, string? Configured)>> ReadFactsConfigurationsAsync(string after, string last, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, (string?, string?)>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT device_id, reported_json, configured_json FROM configurations WHERE device_id > @after AND device_id <= @last",
            [("@after", after), ("@last", last)], cancellationToken).ConfigureAwait(false))
        {
            result[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return result;
    }

    private async Task<Dictionary<string, List<InFlightDeployment>>> ReadFactsInFlightAsync(
        string after, string last, Dictionary<string, InFlightDeployment> deployments, CancellationToken cancellationToken)
    {
        var shared = new Dictionary<(string, string), InFlightDeployment>();
        var result = new Dictionary<string, List<InFlightDeployment>>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT device_id, deployment_id, status FROM device_deployments WHERE finished = 0 AND device_id > @after AND device_id <= @last ORDER BY device_id, seq",
            [("@after", after), ("@last", last)], cancellationToken).ConfigureAwait(false))
        {
            if (!deployments.TryGetValue(reader.GetString(1), out var deployment))
            {
                continue;
            }

            var status = reader.GetString(2);
            if (!shared.TryGetValue((deployment.DeploymentId, status), out var flight))
            {
                flight = deployment with { Status = status };
                shared[(deployment.DeploymentId, status)] = flight;
            }

            var deviceId = reader.GetString(0);
            if (!result.TryGetValue(deviceId, out var list))
            {
                list = new List<InFlightDeployment>(2);
                result[deviceId] = list;
            }

            list.Add(flight);
        }

        return result;
    }

    private sealed class DeviceScopes
    {
        public List<KeyValuePair<string, string>> Identity { get; } = [];

        public List<KeyValuePair<string, string>> Inventory { get; } = [];

        public List<KeyValuePair<string, string>> Tags { get; } = [];
    }

    /// <summary>
    /// One map instance per distinct content across the whole read: at 200,000 devices most tags, inventories and
    /// configurations repeat, and the planner holds all of them at once.
    /// </summary>
    private sealed class FactsMaps
    {
        private readonly Dictionary<string, CompactStringMap> byContent = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyDictionary<string, string>> byJson = new(StringComparer.Ordinal);
        private readonly StringPool pool = new();

        /// <param name="share">False for maps that are unique per device (identity): not worth a lookup.</param>
        public IReadOnlyDictionary<string, string> Map(List<KeyValuePair<string, string>>? entries, bool share = true)
        {
            if (entries is null || entries.Count == 0)
            {
                return DeviceFacts.EmptyMap;
            }

            if (!share)
            {
                return new CompactStringMap(entries);
            }

            var key = string.Join('\u0001', entries.Select(kv => kv.Key + '\u0002' + kv.Value));
            if (!byContent.TryGetValue(key, out var map))
            {
                map = new CompactStringMap(entries.ToList());
                byContent[key] = map;
            }

            return map;
        }

        public IReadOnlyDictionary<string, string>? Configuration(string? json)
        {
            if (json is null)
            {
                return null;
            }

            if (!byJson.TryGetValue(json, out var map))
            {
                var parsed = JsonMaps.Deserialize(json);
                map = new CompactStringMap(parsed.Select(kv => new KeyValuePair<string, string>(pool.Intern(kv.Key), pool.Intern(kv.Value))).ToList());
                byJson[json] = map;
            }

            return map;
        }
    }
}
