using System.Runtime.CompilerServices;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const int FactsPageSize = 20_000;

    public IAsyncEnumerable<IReadOnlyList<DeviceFacts>> StreamFactsAsync(Func<string, DateTimeOffset?>? lastCheckIn, bool withConfigured, CancellationToken cancellationToken) =>
        StreamFactsAsync(lastCheckIn, withConfigured ? FactsProjection.All : FactsProjection.All with { ConfiguredConfiguration = false }, cancellationToken);

    public async IAsyncEnumerable<IReadOnlyList<DeviceFacts>> StreamFactsAsync(
        Func<string, DateTimeOffset?>? lastCheckIn, FactsProjection projection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var withConfigured = projection.ConfiguredConfiguration;
        var (attributeFilter, filterParameters) = AttributeFilter(projection);
        var deployments = await ReadUnfinishedDeploymentsAsync(cancellationToken).ConfigureAwait(false);
        var maps = new FactsMaps();
        var attributePool = new StringPool(); // Names and values repeat across pages.
        // Collections reused from page to page (cleared, their capacity kept): built anew, every page's tables of
        // 20,000 entries went to the large object heap and brought full collections with them. The page's device ids
        // are read once, by the devices query; the other queries look their rows' ids up (nothing added, so they may
        // run at once) and skip rows of a device that is not in the page (added since the devices query).
        var ids = new StringPool();
        var devices = new List<ObservedRow>(FactsPageSize);
        var attributes = new Dictionary<string, DeviceMaps>(FactsPageSize, StringComparer.Ordinal);
        var configurations = new Dictionary<string, FactsConfiguration>(FactsPageSize, StringComparer.Ordinal);
        var after = "";
        while (true)
        {
            ids.Clear();
            devices.Clear();
            await ReadFactsDevicesAsync(after, ids, devices, cancellationToken).ConfigureAwait(false);
            if (devices.Count == 0)
            {
                yield break;
            }

            var last = devices[^1].Id;
            attributes.Clear();
            configurations.Clear();
            var attributesRead = Task.Run(() => ReadFactsAttributesAsync(after, last, attributeFilter, filterParameters, ids, attributePool, maps, attributes, cancellationToken), cancellationToken);
            var configurationsRead = Task.Run(() => ReadFactsConfigurationsAsync(after, last, withConfigured, ids, configurations, cancellationToken), cancellationToken);
            var inFlight = Task.Run(
                () => ReadInFlightRowsAsync("finished = 0 AND device_id > @after AND device_id <= @last", [("@after", after), ("@last", last)], deployments, cancellationToken),
                cancellationToken);
            await Task.WhenAll(attributesRead, configurationsRead, inFlight).ConfigureAwait(false);
            await maps.ReadUnseenAsync(this, configurations, cancellationToken).ConfigureAwait(false);
            var page = new List<DeviceFacts>(devices.Count);
            foreach (var device in devices)
            {
                var scopes = attributes.GetValueOrDefault(device.Id, DeviceMaps.Empty);
                var configuration = configurations.GetValueOrDefault(device.Id);
                page.Add(new DeviceFacts
                {
                    Id = device.Id,
                    Status = device.Status,
                    DeviceType = device.DeviceType,
                    ArtifactName = device.ArtifactName,
                    Identity = scopes.Identity,
                    Tags = scopes.Tags,
                    Attributes = scopes.Inventory,
                    ReportedConfiguration = maps.Reported(device.Id, configuration),
                    ConfiguredConfiguration = maps.Configuration(configuration.Configured),
                    LastCheckIn = lastCheckIn?.Invoke(device.Id) ?? FromMs(device.LastCheckInMs),
                    InFlight = inFlight.Result.GetValueOrDefault(device.Id) ?? [],
                });
            }

            yield return page;
            after = last;
        }
    }

    /// <summary>A page of devices after <paramref name="after"/> into <paramref name="devices"/>, their ids into <paramref name="ids"/>.</summary>
    private Task ReadFactsDevicesAsync(string after, StringPool ids, List<ObservedRow> devices, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        return ReadAllAsync(
            "SELECT id, status, device_type, artifact_name, last_checkin_ms FROM devices WHERE id > @after ORDER BY id LIMIT @limit",
            [("@after", after), ("@limit", FactsPageSize)], row => devices.Add(new ObservedRow(
                row.GetPooled(0, ids),
                row.GetPooled(1, pool),
                row.IsNull(2) ? null : row.GetPooled(2, pool),
                row.IsNull(3) ? null : row.GetPooled(3, pool),
                row.IsNull(4) ? null : row.GetInt64(4),
                null,
                null,
                false,
                null)), cancellationToken);
    }

    /// <summary>
    /// The SQL condition that keeps only the attributes a projection reads (all tags; the identity and inventory names
    /// it lists, provides under the inventory's names), with its parameters; empty for everything. The attributes'
    /// primary key holds scope and name, so the rows left out are skipped in the index, their values never read. A
    /// CASE, not ORs: SQLite would answer ORs of scope and name from the lookup index, across every device of each page.
    /// </summary>
    private static (string Sql, List<(string Name, object Value)> Parameters) AttributeFilter(FactsProjection projection)
    {
        if (projection.Attributes is null && projection.Identity is null)
        {
            return ("", []);
        }

        var parameters = new List<(string Name, object Value)>();
        string Kept(IReadOnlySet<string>? names, string prefix)
        {
            if (names is null)
            {
                return "TRUE";
            }

            if (names.Count == 0)
            {
                return "FALSE";
            }

            var list = new List<string>(names.Count);
            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                list.Add($"@{prefix}{list.Count}");
                parameters.Add((list[^1], name));
            }

            return $"name IN ({string.Join(", ", list)})";
        }

        var identity = Kept(projection.Identity, "identity");
        var inventory = Kept(projection.Attributes, "attribute");
        return ($"""
             AND (CASE scope WHEN '{AttributeScope.Tags}' THEN TRUE WHEN '{AttributeScope.Identity}' THEN {identity}
                WHEN '{AttributeScope.Inventory}' THEN {inventory} WHEN '{AttributeScope.Provides}' THEN {inventory} ELSE FALSE END)
            """, parameters);
    }

    /// <summary>
    /// Identity, inventory (provides as a fallback) and tags of the devices in (after, last] as their maps, by device,
    /// into <paramref name="result"/>. A device's rows come together (in device order): they are gathered in three
    /// lists reused for every device, and made maps when the next device's rows begin.
    /// </summary>
    private async Task ReadFactsAttributesAsync(
        string after, string last, string filter, List<(string Name, object Value)> filterParameters, StringPool ids, StringPool pool, FactsMaps maps,
        Dictionary<string, DeviceMaps> result, CancellationToken cancellationToken)
    {
        string? deviceId = null;
        List<KeyValuePair<string, string>> identity = [], inventory = [], tags = [];
        void Finish()
        {
            if (deviceId is not null)
            {
                result[deviceId] = new DeviceMaps(maps.Map(identity, share: false), maps.Map(tags), maps.Map(inventory));
                identity.Clear();
                inventory.Clear();
                tags.Clear();
            }
        }

        await ReadAllAsync(
            $"SELECT device_id, scope, name, value_json FROM attributes WHERE device_id > @after AND device_id <= @last{filter} ORDER BY device_id, scope, name",
            [("@after", after), ("@last", last), .. filterParameters], row =>
            {
                if (deviceId is null || !row.Is(0, deviceId))
                {
                    Finish();
                    deviceId = row.GetKnown(0, ids);
                }

                if (deviceId is null)
                {
                    return; // Not a device of this page: added after the page's devices were read.
                }

                var name = row.GetPooled(2, pool);
                var value = row.GetPooledAttribute(3, pool);
                switch (row.GetPooled(1, pool))
                {
                    case AttributeScope.Identity:
                        identity.Add(new(name, value));
                        break;
                    case AttributeScope.Inventory:
                        inventory.Add(new(name, value));
                        break;
                    case AttributeScope.Provides:
                        // Rows come in scope order: what the device reports itself (inventory) wins.
                        if (!Contains(inventory, name))
                        {
                            inventory.Add(new(name, value));
                        }

                        break;
                    case AttributeScope.Tags:
                        tags.Add(new(name, value));
                        break;
                }
            }, cancellationToken).ConfigureAwait(false);
        Finish();
    }

    private static bool Contains(List<KeyValuePair<string, string>> entries, string name)
    {
        foreach (var entry in entries)
        {
            if (entry.Key == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Configurations of the devices in (after, last] into <paramref name="result"/>: the reported one's checksum (its
    /// JSON only when no checksum is stored) and, when asked for, the configured JSON. Distinct reported maps are read
    /// once, by checksum.
    /// </summary>
    private Task ReadFactsConfigurationsAsync(
        string after, string last, bool withConfigured, StringPool ids, Dictionary<string, FactsConfiguration> result, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        return ReadAllAsync(
            $"""
            SELECT device_id, reported_checksum, CASE WHEN reported_checksum IS NULL THEN reported_json END, {(withConfigured ? "configured_json" : "NULL")}
            FROM configurations WHERE device_id > @after AND device_id <= @last
            """,
            [("@after", after), ("@last", last)], row =>
            {
                if (row.GetKnown(0, ids) is { } deviceId)
                {
                    result[deviceId] = new FactsConfiguration(
                        row.IsNull(1) ? null : row.GetPooled(1, pool), row.IsNull(2) ? null : row.GetString(2), row.IsNull(3) ? null : row.GetString(3));
                }
            },
            cancellationToken);
    }

    private readonly record struct FactsConfiguration(string? ReportedChecksum, string? ReportedJson, string? Configured);

    /// <summary>A device's identity, tags and inventory as the maps its facts hold.</summary>
    private readonly record struct DeviceMaps(IReadOnlyDictionary<string, string> Identity, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, string> Inventory)
    {
        public static readonly DeviceMaps Empty = new(DeviceFacts.EmptyMap, DeviceFacts.EmptyMap, DeviceFacts.EmptyMap);
    }

    /// <summary>
    /// One map instance per distinct content across the whole read: at 200,000 devices most tags, inventories and
    /// configurations repeat, and the planner holds all of them at once.
    /// </summary>
    private sealed class FactsMaps
    {
        private readonly Dictionary<List<KeyValuePair<string, string>>, CompactStringMap> byContent = new(PooledEntries.Instance);
        private readonly Dictionary<string, IReadOnlyDictionary<string, string>> byJson = new(StringComparer.Ordinal);
        private readonly StringPool pool = new();

        /// <param name="share">False for maps that are unique per device (identity): not worth a lookup.</param>
        public IReadOnlyDictionary<string, string> Map(List<KeyValuePair<string, string>> entries, bool share = true)
        {
            if (entries.Count == 0)
            {
                return DeviceFacts.EmptyMap;
            }

            if (!share)
            {
                return new CompactStringMap(entries);
            }

            if (!byContent.TryGetValue(entries, out var map))
            {
                map = new CompactStringMap(entries);
                byContent[[.. entries]] = map; // A copy: the reader reuses its lists.
            }

            return map;
        }

        private readonly Dictionary<string, IReadOnlyDictionary<string, string>> byChecksum = new(StringComparer.Ordinal);

        /// <summary>Reads the reported maps of checksums not seen yet (one device each).</summary>
        public async Task ReadUnseenAsync(SqlFleetStore store, Dictionary<string, FactsConfiguration> page, CancellationToken cancellationToken)
        {
            var unseen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (deviceId, configuration) in page)
            {
                if (configuration.ReportedChecksum is { } checksum && !byChecksum.ContainsKey(checksum))
                {
                    unseen.TryAdd(checksum, deviceId);
                }
            }

            if (unseen.Count == 0)
            {
                return;
            }

            var read = await store.ReadReportedAsync([.. unseen.Values], cancellationToken).ConfigureAwait(false);
            foreach (var (checksum, deviceId) in unseen)
            {
                byChecksum[checksum] = read.GetValueOrDefault(deviceId) ?? DeviceFacts.EmptyMap;
            }
        }

        public IReadOnlyDictionary<string, string>? Reported(string deviceId, FactsConfiguration configuration) =>
            configuration.ReportedChecksum is { } checksum ? byChecksum[checksum] : Configuration(configuration.ReportedJson);

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

    /// <summary>Entries of pooled strings are equal when they are the same instances in the same order: no text compared, nothing allocated.</summary>
    private sealed class PooledEntries : IEqualityComparer<List<KeyValuePair<string, string>>>
    {
        public static readonly PooledEntries Instance = new();

        public bool Equals(List<KeyValuePair<string, string>>? x, List<KeyValuePair<string, string>>? y)
        {
            if (x is null || y is null || x.Count != y.Count)
            {
                return ReferenceEquals(x, y);
            }

            for (var i = 0; i < x.Count; i++)
            {
                if (!ReferenceEquals(x[i].Key, y[i].Key) || !ReferenceEquals(x[i].Value, y[i].Value))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(List<KeyValuePair<string, string>> entries)
        {
            var hash = new HashCode();
            foreach (var (key, value) in entries)
            {
                hash.Add(RuntimeHelpers.GetHashCode(key));
                hash.Add(RuntimeHelpers.GetHashCode(value));
            }

            return hash.ToHashCode();
        }
    }
}
