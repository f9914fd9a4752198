using System.Data.Common;
using System.Text;
using Dapper;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    /// <summary>Device ids are split on their last character so the reads run on every core (portable SQL, no rowid).</summary>
    private static readonly (string Where, string Name)[] Halves =
    [
        ("substr({0}, length({0}), 1) < '8'", "low"),
        ("NOT (substr({0}, length({0}), 1) < '8')", "high"),
    ];

    /// <summary>A full read at least this often: it also drops devices removed since, whatever the change stamps say.</summary>
    public static readonly TimeSpan FullReadInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Rows stamped this long before a read are read again by the next one (a write that committed while a read ran).
    /// Writes are short transactions in this process (the engine's own large commit never overlaps its reads), so a
    /// few seconds are plenty, and a decision's own writes are read back exactly once by the next one.
    /// </summary>
    private static readonly TimeSpan ChangeMargin = TimeSpan.FromSeconds(5);

    public Task<ObservedState> LoadObservedAsync(ObservedState? previous, DateTimeOffset now, Func<string, DateTimeOffset?>? lastCheckIn, CancellationToken cancellationToken) =>
        LoadObservedAsync(previous, full: false, now, lastCheckIn, cancellationToken);

    private async Task<ObservedState> LoadObservedAsync(ObservedState? previous, bool full, DateTimeOffset now, Func<string, DateTimeOffset?>? lastCheckIn, CancellationToken cancellationToken)
    {
        var deployments = await ReadUnfinishedDeploymentsAsync(cancellationToken).ConfigureAwait(false);
        List<string>? changed = null;
        if (!full && previous?.FullReadAt is { } fullAt && now >= fullAt && now - fullAt < FullReadInterval)
        {
            changed = await ReadChangedAsync(previous.Watermark, cancellationToken).ConfigureAwait(false);
            if (changed.Count > Math.Max(1000, previous.Devices.Count / 5))
            {
                changed = null; // So much changed that one pass over everything is cheaper.
            }
        }

        var halves = changed is null
            ? await Task.WhenAll(Halves.Select(half => Task.Run(() => ReadHalfAsync(half.Where, deployments, cancellationToken), cancellationToken))).ConfigureAwait(false)
            : [await ReadDevicesAsync(changed, deployments, cancellationToken).ConfigureAwait(false)];
        var state = await BuildAsync(previous, halves, changed, now, lastCheckIn, cancellationToken).ConfigureAwait(false);
        if (changed is not null && state.Devices.Count != await CountDevicesAsync(null, cancellationToken).ConfigureAwait(false))
        {
            // A device went away without a trace in the change stamps: read everything.
            return await LoadObservedAsync(previous, full: true, now, lastCheckIn, cancellationToken).ConfigureAwait(false);
        }

        return state;
    }

    /// <summary>
    /// The new state: from the rows read (all devices, or the <paramref name="changed"/> ones over
    /// <paramref name="previous"/>), reusing the previous facts, configuration maps and in-flight lists where nothing changed.
    /// </summary>
    private async Task<ObservedState> BuildAsync(
        ObservedState? previous, ObservedHalf[] halves, List<string>? changed, DateTimeOffset now, Func<string, DateTimeOffset?>? lastCheckIn, CancellationToken cancellationToken)
    {
        var known = previous ?? ObservedState.Empty;
        var delta = changed is not null;
        var configurations = new Dictionary<string, IReadOnlyDictionary<string, string>>(delta ? known.Configurations : [], StringComparer.Ordinal);
        var toRead = new Dictionary<string, string>(StringComparer.Ordinal);
        var unchecksummed = new List<string>();
        foreach (var row in halves.SelectMany(h => h.Devices))
        {
            if (row.Checksum is { } checksum)
            {
                if (!configurations.ContainsKey(checksum) && !toRead.ContainsKey(checksum))
                {
                    if (known.Configurations.TryGetValue(checksum, out var map))
                    {
                        configurations[checksum] = map;
                    }
                    else
                    {
                        toRead[checksum] = row.Id;
                    }
                }
            }
            else if (row.HasReported)
            {
                unchecksummed.Add(row.Id);
            }
        }

        // Reported configurations are read only for checksums not seen before (one device per checksum).
        var read = await ReadReportedAsync([.. toRead.Values, .. unchecksummed], cancellationToken).ConfigureAwait(false);
        foreach (var (checksum, deviceId) in toRead)
        {
            configurations[checksum] = read.GetValueOrDefault(deviceId) ?? DeviceFacts.EmptyMap;
        }

        var flights = new Dictionary<string, IReadOnlyList<InFlightDeployment>>(delta ? known.Flights : [], StringComparer.Ordinal);
        var devices = delta
            ? new Dictionary<string, DeviceFacts>(known.Devices, StringComparer.Ordinal)
            : new Dictionary<string, DeviceFacts>(halves.Sum(h => h.Devices.Count), StringComparer.Ordinal);
        foreach (var id in changed ?? [])
        {
            devices.Remove(id); // Read again below unless it is gone.
        }

        foreach (var half in halves)
        {
            foreach (var row in half.Devices)
            {
                var reported = row.Checksum is { } checksum ? configurations[checksum]
                    : row.HasReported ? read.GetValueOrDefault(row.Id)
                    : null;
                var inFlight = Flights(half.Flights.GetValueOrDefault(row.Id), flights, known.Flights);
                var attributes = row.Image is null && row.DeltaFormats is null ? DeviceFacts.EmptyMap : AttributeMap(row.Image, row.DeltaFormats, known.Images);
                var seen = known.Devices.TryGetValue(row.Id, out var before);

                // A known device keeps its id instance: the key and its facts' id are one string, never the row's
                // fresh copy beside the previous facts' (96 bytes a device after every full read).
                var id = seen ? before!.Id : row.Id;
                devices[id] = seen
                    && before!.Status == row.Status && before.DeviceType == row.DeviceType
                    && before.ArtifactName == row.ArtifactName && ReferenceEquals(before.Attributes, attributes)
                    && ReferenceEquals(before.ReportedConfiguration, reported) && ReferenceEquals(before.InFlight, inFlight)
                    ? before
                    : new DeviceFacts
                    {
                        Id = id,
                        Status = row.Status,
                        DeviceType = row.DeviceType,
                        ArtifactName = row.ArtifactName,
                        Attributes = attributes,
                        ReportedConfiguration = reported,
                        LastCheckIn = FromMs(row.LastCheckInMs),
                        InFlight = inFlight,
                    };
            }
        }

        if (lastCheckIn is not null)
        {
            // Check-ins live in memory on the server; every device's time is brought up to date, cheaply.
            foreach (var (id, facts) in devices)
            {
                if (lastCheckIn(id) is { } checkIn && checkIn != facts.LastCheckIn)
                {
                    devices[id] = facts with { LastCheckIn = checkIn };
                }
            }
        }

        return new ObservedState(devices, configurations, flights, known.Images)
        {
            FullReadAt = delta ? known.FullReadAt : now,
            Watermark = Ms(now - ChangeMargin),
        };
    }

    /// <summary>Devices whose observed state may have changed since <paramref name="since"/> (Unix ms): device, configuration or deployment rows stamped since.</summary>
    private async Task<List<string>> ReadChangedAsync(long since, CancellationToken cancellationToken) =>
        (await QueryAsync<string>(
            """
            SELECT id FROM devices WHERE updated_ms >= @since
            UNION SELECT device_id FROM configurations WHERE reported_ms >= @since
            UNION SELECT device_id FROM device_deployments WHERE updated_ms >= @since
            """, new { since }, cancellationToken).ConfigureAwait(false)).ToList();

    /// <summary>The image map of a device, one instance per image, shared with the previous state's facts.</summary>
    /// <summary>
    /// The attributes the engine reads (the installed image, the delta formats the device applies), one shared map
    /// per distinct pair: 100,000 devices on three images share three maps.
    /// </summary>
    private static IReadOnlyDictionary<string, string> AttributeMap(
        string? image, string? deltaFormats, System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> maps) =>
        maps.GetOrAdd(deltaFormats is null ? image ?? "" : $"{image}\n{deltaFormats}", _ =>
        {
            var pairs = new List<KeyValuePair<string, string>>(2);
            if (image is not null)
            {
                pairs.Add(new(DeviceFacts.RootfsImageVersionAttribute, image));
            }

            if (deltaFormats is not null)
            {
                pairs.Add(new(Gitfleet.Core.Delivery.DeltaSupport.FormatsAttribute, deltaFormats));
            }

            return new CompactStringMap(pairs);
        });

    /// <summary>One shared list per distinct in-flight set (the previous state's when it was there already).</summary>
    private static IReadOnlyList<InFlightDeployment> Flights(
        List<InFlightDeployment>? own,
        Dictionary<string, IReadOnlyList<InFlightDeployment>> shared,
        Dictionary<string, IReadOnlyList<InFlightDeployment>> previous)
    {
        if (own is null)
        {
            return [];
        }

        var key = new StringBuilder();
        foreach (var flight in own)
        {
            key.Append(flight.DeploymentId).Append('/').Append(flight.Status).Append(';');
        }

        var signature = key.ToString();
        if (!shared.TryGetValue(signature, out var list))
        {
            list = previous.GetValueOrDefault(signature) ?? own;
            shared[signature] = list;
        }

        return list;
    }

    private async Task<Dictionary<string, InFlightDeployment>> ReadUnfinishedDeploymentsAsync(CancellationToken cancellationToken)
    {
        var deployments = new Dictionary<string, InFlightDeployment>(StringComparer.Ordinal);
        await foreach (var reader in ReadRowsAsync(
            "SELECT id, kind, artifact_name, configuration_checksum, created_ms, trace_commit FROM deployments WHERE status <> 'finished'", [], cancellationToken).ConfigureAwait(false))
        {
            var configuration = reader.GetString(1) == DeploymentKinds.Configuration;
            deployments[reader.GetString(0)] = new InFlightDeployment
            {
                DeploymentId = reader.GetString(0),
                Kind = configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
                ArtifactName = configuration ? null : reader.GetString(2),
                ConfigurationChecksum = reader.IsDBNull(3) ? null : reader.GetString(3),
                CreatedAt = FromMs(reader.GetInt64(4)),
                Commit = reader.IsDBNull(5) ? null : reader.GetString(5),
            };
        }

        return deployments;
    }

    /// <summary>The given devices (and their unfinished deployments), in batches.</summary>
    private async Task<ObservedHalf> ReadDevicesAsync(List<string> ids, Dictionary<string, InFlightDeployment> deployments, CancellationToken cancellationToken)
    {
        var result = new ObservedHalf([], new Dictionary<string, List<InFlightDeployment>>(StringComparer.Ordinal));
        foreach (var batch in Batches(ids))
        {
            var names = string.Join(", ", batch.Select((_, i) => "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var parameters = batch.Select((id, i) => ("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object)id)).ToList();
            var part = await ReadPartAsync("{0} IN (" + names + ")", parameters, deployments, cancellationToken).ConfigureAwait(false);
            result.Devices.AddRange(part.Devices);
            foreach (var (id, list) in part.Flights)
            {
                result.Flights[id] = list;
            }
        }

        return result;
    }

    /// <summary>Half of the devices (and their unfinished deployments), read on one thread.</summary>
    private Task<ObservedHalf> ReadHalfAsync(string where, Dictionary<string, InFlightDeployment> deployments, CancellationToken cancellationToken) =>
        ReadPartAsync(where, [], deployments, cancellationToken);

    /// <summary>The devices matching <paramref name="where"/> ({0}: the device id column) with their unfinished deployments.</summary>
    private async Task<ObservedHalf> ReadPartAsync(string where, IReadOnlyList<(string Name, object Value)> parameters, Dictionary<string, InFlightDeployment> deployments, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var devices = new List<ObservedRow>();
        await ReadAllAsync(
            $"""
            SELECT d.id, d.status, d.device_type, d.artifact_name, d.last_checkin_ms,
                (SELECT a.value_json FROM attributes a WHERE a.device_id = d.id AND a.scope = '{AttributeScope.Inventory}' AND a.name = '{DeviceFacts.RootfsImageVersionAttribute}'),
                (SELECT p.value_json FROM attributes p WHERE p.device_id = d.id AND p.scope = '{AttributeScope.Provides}' AND p.name = '{DeviceFacts.RootfsImageVersionAttribute}'),
                c.reported_checksum, CASE WHEN c.reported_json IS NULL THEN 0 ELSE 1 END,
                (SELECT f.value_json FROM attributes f WHERE f.device_id = d.id AND f.scope = '{AttributeScope.Inventory}' AND f.name = '{Gitfleet.Core.Delivery.DeltaSupport.FormatsAttribute}')
            FROM devices d LEFT JOIN configurations c ON c.device_id = d.id
            WHERE {string.Format(System.Globalization.CultureInfo.InvariantCulture, where, "d.id")}
            """, parameters, row => devices.Add(new ObservedRow(
                row.GetString(0),
                row.GetPooled(1, pool),
                row.IsNull(2) ? null : row.GetPooled(2, pool),
                row.IsNull(3) ? null : row.GetPooled(3, pool),
                row.IsNull(4) ? null : row.GetInt64(4),
                row.IsNull(5) ? row.IsNull(6) ? null : row.GetPooledAttribute(6, pool) : row.GetPooledAttribute(5, pool),
                row.IsNull(7) ? null : row.GetPooled(7, pool),
                row.GetInt64(8) != 0,
                row.IsNull(9) ? null : row.GetPooledAttribute(9, pool))), cancellationToken).ConfigureAwait(false);
        var flights = await ReadInFlightRowsAsync(
            $"finished = 0 AND {string.Format(System.Globalization.CultureInfo.InvariantCulture, where, "device_id")}", parameters, deployments, cancellationToken).ConfigureAwait(false);
        return new ObservedHalf(devices, flights);
    }

    /// <summary>
    /// The unfinished device rows matching <paramref name="where"/>, by device, in queue order; devices of one
    /// deployment in one status share one (immutable) record.
    /// </summary>
    private async Task<Dictionary<string, List<InFlightDeployment>>> ReadInFlightRowsAsync(
        string where, IReadOnlyList<(string Name, object Value)> parameters, Dictionary<string, InFlightDeployment> deployments, CancellationToken cancellationToken)
    {
        var pool = new StringPool();
        var shared = new Dictionary<(string, string), InFlightDeployment>();
        var flights = new Dictionary<string, List<InFlightDeployment>>(StringComparer.Ordinal);
        await ReadAllAsync($"SELECT device_id, deployment_id, status FROM device_deployments WHERE {where} ORDER BY device_id, seq", parameters, row =>
        {
            if (!deployments.TryGetValue(row.GetPooled(1, pool), out var deployment))
            {
                return;
            }

            var status = row.GetPooled(2, pool);
            if (!shared.TryGetValue((deployment.DeploymentId, status), out var flight))
            {
                flight = deployment with { Status = status };
                shared[(deployment.DeploymentId, status)] = flight;
            }

            var deviceId = row.GetString(0);
            if (!flights.TryGetValue(deviceId, out var list))
            {
                list = new List<InFlightDeployment>(2);
                flights[deviceId] = list;
            }

            list.Add(flight);
        }, cancellationToken).ConfigureAwait(false);
        return flights;
    }

    /// <summary>Reported configurations of the given devices (JSON parsed), in batches.</summary>
    private async Task<Dictionary<string, IReadOnlyDictionary<string, string>>> ReadReportedAsync(List<string> deviceIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (deviceIds.Count == 0)
        {
            return result;
        }

        var pool = new StringPool();
        var byText = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var batch in Batches(deviceIds))
        {
            foreach (var (id, json) in await connection.QueryAsync<(string, string)>(Command(
                $"SELECT device_id, reported_json FROM configurations WHERE reported_json IS NOT NULL AND device_id {InList("@batch")}", new { batch }, null, cancellationToken)).ConfigureAwait(false))
            {
                if (!byText.TryGetValue(json, out var map))
                {
                    var parsed = JsonMaps.Deserialize(json);
                    map = new CompactStringMap(parsed.Select(kv => new KeyValuePair<string, string>(pool.Intern(kv.Key), pool.Intern(kv.Value))).ToList());
                    byText[json] = map;
                }

                result[id] = map;
            }
        }

        return result;
    }

    /// <summary>Streams a query's rows as the reader itself (read the columns before moving on).</summary>
    private async IAsyncEnumerable<DbDataReader> ReadRowsAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader;
        }
    }

    private sealed record ObservedRow(string Id, string Status, string? DeviceType, string? ArtifactName, long? LastCheckInMs, string? Image, string? Checksum, bool HasReported, string? DeltaFormats);

    private sealed record ObservedHalf(List<ObservedRow> Devices, Dictionary<string, List<InFlightDeployment>> Flights);
}
