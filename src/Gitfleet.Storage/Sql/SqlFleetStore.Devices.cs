using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Gitfleet.Core.Facts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string DeviceColumns =
        "id, status, identity_json, identity_key, device_type, artifact_name, group_name, created_ms, updated_ms, last_checkin_ms";

    private static readonly string GetDeviceSql = $"SELECT {DeviceColumns} FROM devices WHERE id = @id";

    /// <summary>A device by id: read after every change of a device's auth state (the registry follows the store), so a prepared read.</summary>
    public async Task<DeviceRecord?> GetDeviceAsync(string id, CancellationToken cancellationToken)
    {
        DeviceRecord? device = null;
        await ReadPreparedAsync(GetDeviceSql, [("@id", id)], row => device = DeviceFrom(row, 0), cancellationToken).ConfigureAwait(false);
        return device;
    }

    public async Task<Page<DeviceRecord>> ListDevicesAsync(DeviceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (where, parameters) = DeviceWhere(query);
        parameters.Add("limit", query.PerPage);
        parameters.Add("offset", (long)(Math.Max(query.Page, 1) - 1) * query.PerPage);
        return await ReadAsync(async connection =>
        {
            var total = await connection.ExecuteScalarAsync<long>(Command($"SELECT COUNT(*) FROM devices d {where}", parameters, null, cancellationToken)).ConfigureAwait(false);
            var rows = await connection.QueryAsync<DeviceRow>(Command(
                $"SELECT {DeviceColumns} FROM devices d {where} ORDER BY d.created_ms, d.id LIMIT @limit OFFSET @offset",
                parameters, null, cancellationToken)).ConfigureAwait(false);
            return new Page<DeviceRecord>(rows.Select(r => ToDevice(r)!).ToList(), total);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CountDevicesAsync(AuthStatus? typed, CancellationToken cancellationToken)
    {
        var status = typed is { } known ? StatusNames.Of(known) : null;
        return await ReadAsync(connection => connection.ExecuteScalarAsync<long>(Command(
            status is null ? "SELECT COUNT(*) FROM devices" : "SELECT COUNT(*) FROM devices WHERE status = @status",
            new { status }, null, cancellationToken)), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<AuthStatus, long>> CountDevicesByStatusAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<(string Status, long Count)>("SELECT status, COUNT(*) FROM devices GROUP BY status", null, cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => StatusNames.StoredAuth(r.Status), r => r.Count);
    }

    public async Task<IReadOnlyList<AuthSetRecord>> GetAuthSetsAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new List<AuthSetRecord>();
        foreach (var batch in Batches(deviceIds))
        {
            var rows = await QueryAsync<AuthSetRow>(
                $"SELECT id, device_id, pubkey, status, created_ms FROM auth_sets WHERE device_id {InList("@batch")} ORDER BY created_ms, id",
                new { batch }, cancellationToken).ConfigureAwait(false);
            result.AddRange(rows.Select(ToAuthSet));
        }

        return result;
    }

    public Task<AuthRequestOutcome> RecordAuthRequestAsync(string deviceId, string authSetId, IReadOnlyDictionary<string, string> identity, string publicKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var identityKey = DeviceIdentity.Key(identity);
        return GroupWriteAsync(async (connection, transaction) =>
        {
            var (device, existing) = await FindDeviceAndAuthSetAsync(connection, transaction, identityKey, publicKey, cancellationToken).ConfigureAwait(false);
            if (device is null)
            {
                await InsertDeviceAsync(connection, transaction, deviceId, AuthStatus.Pending, identity, identityKey, now, cancellationToken).ConfigureAwait(false);
                var created = new AuthSetRecord(authSetId, deviceId, publicKey, AuthStatus.Pending, now);
                await InsertAuthSetAsync(connection, transaction, created, cancellationToken).ConfigureAwait(false);
                var fresh = await FindByIdentityKeyAsync(connection, transaction, identityKey, cancellationToken).ConfigureAwait(false);
                return new AuthRequestOutcome(fresh!, created, Created: true);
            }

            if (existing is not null && existing.Status == AuthStatus.Preauthorized)
            {
                // Declared beforehand (by an operator or in git): the first request with this key accepts it.
                var accepted = await AcceptAuthSetAsync(connection, transaction, device, existing.Id, now, cancellationToken).ConfigureAwait(false);
                return new AuthRequestOutcome(accepted, existing with { Status = AuthStatus.Accepted }, Created: false);
            }

            if (existing is not null)
            {
                return new AuthRequestOutcome(device, existing, Created: false);
            }

            var added = new AuthSetRecord(authSetId, device.Id, publicKey, AuthStatus.Pending, now);
            await InsertAuthSetAsync(connection, transaction, added, cancellationToken).ConfigureAwait(false);
            var updated = await RefreshDeviceStatusAsync(connection, transaction, device.Id, now, cancellationToken).ConfigureAwait(false);
            return new AuthRequestOutcome(updated!, added, Created: true);
        });
    }

    /// <summary>Every auth request of a known device asks this: the text is built once, and the statement prepared once.</summary>
    private static readonly string FindAuthSetSql =
        $"""
        SELECT {string.Join(", ", DeviceColumns.Split(", ").Select(c => "d." + c))}, a.id, a.device_id, a.pubkey, a.status, a.created_ms
        FROM devices d LEFT JOIN auth_sets a ON a.device_id = d.id AND a.pubkey = @publicKey
        WHERE d.identity_key = @identityKey
        """;

    public async Task<AuthSetLookup?> FindAuthSetAsync(IReadOnlyDictionary<string, string> identity, string publicKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var identityKey = DeviceIdentity.Key(identity);
        AuthSetLookup? found = null;
        await ReadPreparedAsync(FindAuthSetSql, [("@publicKey", publicKey), ("@identityKey", identityKey)], row => found ??= LookupFrom(row), cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>
    /// The device of an identity and its auth set of a key, inside the auth request's write: two statements sent together,
    /// one round trip to a shared store where the group-commit writer waits for each (on PostgreSQL every round trip is
    /// two wake-ups on a busy machine: the writer's and its backend's), kept prepared on the writer (<see cref="WriterStatements"/>).
    /// </summary>
    private async Task<(DeviceRecord? Device, AuthSetRecord? AuthSet)> FindDeviceAndAuthSetAsync(
        DbConnection connection, DbTransaction transaction, string identityKey, string publicKey, CancellationToken cancellationToken)
    {
        using var statement = WriterStatement(connection, transaction, DeviceAndAuthSetSql, "identityKey", "publicKey").Bind(identityKey, publicKey);
        await using var reader = await statement.Command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new DataReaderRow { Reader = reader };
        var device = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? DeviceFrom(row, 0) : null;
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var authSet = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? AuthSetFrom(row, 0) : null;
        return (device, authSet);
    }

    private static readonly string DeviceAndAuthSetSql =
        $"""
        SELECT {DeviceColumns} FROM devices WHERE identity_key = @identityKey;
        SELECT id, device_id, pubkey, status, created_ms FROM auth_sets
        WHERE device_id = (SELECT id FROM devices WHERE identity_key = @identityKey) AND pubkey = @publicKey
        """;

    /// <summary>One row of <see cref="FindAuthSetSql"/>: one per device (an identity is unique); with no auth set of that key the LEFT JOIN's columns are NULL.</summary>
    private static AuthSetLookup LookupFrom(IRow row) => new(DeviceFrom(row, 0), row.IsNull(10) ? null : AuthSetFrom(row, 10));

    /// <summary>An auth set from its columns (id, device_id, pubkey, status, created_ms) of a row, starting at <paramref name="at"/>.</summary>
    private static AuthSetRecord AuthSetFrom(IRow row, int at) =>
        new(row.GetString(at), row.GetString(at + 1), row.GetString(at + 2), StatusNames.StoredAuth(row.GetString(at + 3)), FromMs(row.GetInt64(at + 4)));

    /// <summary>A device from the <see cref="DeviceColumns"/> of a row, starting at <paramref name="at"/>.</summary>
    private static DeviceRecord DeviceFrom(IRow row, int at) => new()
    {
        Id = row.GetString(at),
        Status = StatusNames.StoredAuth(row.GetString(at + 1)),
        Identity = JsonMaps.Deserialize(row.GetString(at + 2)),
        IdentityKey = row.GetString(at + 3),
        DeviceType = row.IsNull(at + 4) ? null : row.GetString(at + 4),
        ArtifactName = row.IsNull(at + 5) ? null : row.GetString(at + 5),
        Group = row.IsNull(at + 6) ? null : row.GetString(at + 6),
        CreatedAt = FromMs(row.GetInt64(at + 7)),
        UpdatedAt = FromMs(row.GetInt64(at + 8)),
        LastCheckIn = row.IsNull(at + 9) ? null : FromMs(row.GetInt64(at + 9)),
    };

    public async Task<IReadOnlyList<DeviceRecord>> FindByIdentityKeysAsync(IReadOnlyCollection<string> identityKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identityKeys);
        var result = new List<DeviceRecord>();
        foreach (var batch in Batches(identityKeys))
        {
            var rows = await QueryAsync<DeviceRow>($"SELECT {DeviceColumns} FROM devices WHERE identity_key {InList("@batch")}", new { batch }, cancellationToken).ConfigureAwait(false);
            result.AddRange(rows.Select(r => ToDevice(r)!));
        }

        return result;
    }

    public Task<DeviceRecord?> PreauthorizeAsync(string deviceId, string authSetId, IReadOnlyDictionary<string, string> identity, string publicKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var identityKey = DeviceIdentity.Key(identity);
        return WriteAsync(async (connection, transaction) =>
        {
            if (await FindByIdentityKeyAsync(connection, transaction, identityKey, cancellationToken).ConfigureAwait(false) is not null)
            {
                return null;
            }

            await InsertDeviceAsync(connection, transaction, deviceId, AuthStatus.Preauthorized, identity, identityKey, now, cancellationToken).ConfigureAwait(false);
            await InsertAuthSetAsync(connection, transaction, new AuthSetRecord(authSetId, deviceId, publicKey, AuthStatus.Preauthorized, now), cancellationToken).ConfigureAwait(false);
            return await FindByIdentityKeyAsync(connection, transaction, identityKey, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<DeviceRecord?> SetAuthSetStatusAsync(string deviceId, string authSetId, AuthStatus typed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var status = StatusNames.Of(typed);
        return WriteAsync(async (connection, transaction) =>
        {
            var changed = await connection.ExecuteAsync(Command(
                "UPDATE auth_sets SET status = @status WHERE id = @authSetId AND device_id = @deviceId",
                new { status, authSetId, deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (changed == 0)
            {
                return null;
            }

            if (typed != AuthStatus.Accepted)
            {
                return await RefreshDeviceStatusAsync(connection, transaction, deviceId, now, cancellationToken).ConfigureAwait(false);
            }

            var device = await connection.QuerySingleOrDefaultAsync<DeviceRow>(Command(
                $"SELECT {DeviceColumns} FROM devices WHERE id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
            return device is null ? null : await AcceptAuthSetAsync(connection, transaction, ToDevice(device)!, authSetId, now, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// Accepts one auth set (a device has one accepted key at a time: the others are rejected); the device is
    /// accepted with it. A device with an accepted auth set is accepted whatever its other sets are (the order in
    /// <see cref="RefreshDeviceStatusAsync"/>), so its status is set without reading its auth sets back, and the
    /// record is <paramref name="device"/> (read in this transaction) with the new status: two statements sent
    /// together, where a refresh took four round trips (a preauthorized device's first auth request runs this, once
    /// per device of a storm).
    /// </summary>
    private async Task<DeviceRecord> AcceptAuthSetAsync(DbConnection connection, DbTransaction transaction, DeviceRecord device, string authSetId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = Ms(now);
        using var statement = WriterStatement(connection, transaction, AcceptAuthSetSql, "authSetId", "deviceId", "status", "ms")
            .Bind(authSetId, device.Id, DeviceStatus.Accepted, ms);
        await statement.Command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return device with { Status = AuthStatus.Accepted, UpdatedAt = FromMs(ms) };
    }

    private const string AcceptAuthSetSql =
        """
        UPDATE auth_sets SET status = CASE WHEN id = @authSetId THEN 'accepted' ELSE 'rejected' END WHERE device_id = @deviceId AND (id = @authSetId OR status = 'accepted');
        UPDATE devices SET status = @status, updated_ms = @ms WHERE id = @deviceId
        """;

    public Task<(bool Found, DeviceRecord? Device)> DeleteAuthSetAsync(string deviceId, string authSetId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync<(bool, DeviceRecord?)>(async (connection, transaction) =>
        {
            var deleted = await connection.ExecuteAsync(Command(
                "DELETE FROM auth_sets WHERE id = @authSetId AND device_id = @deviceId", new { authSetId, deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (deleted == 0)
            {
                return (false, null);
            }

            var left = await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM auth_sets WHERE device_id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (left == 0)
            {
                await RemoveDeviceRowsAsync(connection, transaction, deviceId, now, cancellationToken).ConfigureAwait(false);
                return (true, null);
            }

            return (true, await RefreshDeviceStatusAsync(connection, transaction, deviceId, now, cancellationToken).ConfigureAwait(false));
        }, cancellationToken);

    public Task<bool> DecommissionDeviceAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var exists = await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM devices WHERE id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (exists == 0)
            {
                return false;
            }

            await RemoveDeviceRowsAsync(connection, transaction, deviceId, now, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public IAsyncEnumerable<DeviceStatusRow> StreamDeviceStatusesAsync(CancellationToken cancellationToken) =>
        StreamAsync<StatusRow>("SELECT id, status, last_checkin_ms, inventory_hash FROM devices", null, cancellationToken)
            .Select(r => new DeviceStatusRow(r.Id, StatusNames.StoredAuth(r.Status), FromMs(r.LastCheckinMs)) { InventoryDigest = InventoryDigest.Parse(r.InventoryHash) });

    public IAsyncEnumerable<AcceptedKeyRow> StreamAcceptedKeysAsync(CancellationToken cancellationToken) =>
        StreamAsync<AcceptedKeyColumns>(
            $"""
            SELECT d.id AS Id, d.identity_key AS IdentityKey, a.pubkey AS Pubkey FROM devices d JOIN auth_sets a ON a.device_id = d.id
            WHERE d.status = '{DeviceStatus.Accepted}' AND a.status = '{DeviceStatus.Accepted}'
            """, null, cancellationToken).Select(r => new AcceptedKeyRow(r.Id, r.IdentityKey, r.Pubkey));

    public IAsyncEnumerable<DeviceRecord> StreamDevicesAsync(CancellationToken cancellationToken) =>
        StreamAsync<DeviceRow>($"SELECT {DeviceColumns} FROM devices ORDER BY id", null, cancellationToken).Select(r => ToDevice(r)!);

    public async Task SaveCheckInsAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> checkIns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkIns);
        if (checkIns.Count == 0)
        {
            return;
        }

        await GroupWriteAsync((connection, transaction) => BulkAsync(connection, transaction,
            "UPDATE devices SET last_checkin_ms = @ms WHERE id = @id", ["ms", "id"], checkIns,
            (c, v) => (v[0], v[1]) = (Ms(c.Value), c.Key), cancellationToken), isolated: false).ConfigureAwait(false);
    }

    public async Task<bool> SaveInventoryAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, bool replace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var hash = replace ? InventoryHash(attributes) : null;
        if (hash is not null)
        {
            // A reconnecting device sends the inventory it sent before: a read (on any core) says so, and nothing is written.
            var (found, stored) = (false, (string?)null);
            await ReadPreparedAsync("SELECT inventory_hash FROM devices WHERE id = @deviceId", [("@deviceId", deviceId)],
                row => (found, stored) = (true, row.IsNull(0) ? null : row.GetString(0)), cancellationToken).ConfigureAwait(false);
            if (!found)
            {
                return false;
            }

            if (stored == hash)
            {
                return true;
            }
        }

        var write = ScopeWrite.Of(deviceId, AttributeScope.Inventory, attributes, replace, hash, now);
        return await GroupWriteAsync((connection, transaction) => SaveScopeAsync(connection, transaction, write, cancellationToken)).ConfigureAwait(false);
    }

    public Task<bool> ReplaceChangedInventoryAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, ulong digest, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var hash = InventoryDigest.Text(digest);
        var write = ScopeWrite.Of(deviceId, AttributeScope.Inventory, attributes, true, hash, now);
        return GroupWriteAsync((connection, transaction) => SaveScopeAsync(connection, transaction, write, cancellationToken));
    }

    public Task<bool> SaveTagsAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> tags, bool replace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var write = ScopeWrite.Of(deviceId, AttributeScope.Tags, tags, replace, null, now);
        return WriteAsync((connection, transaction) => SaveScopeAsync(connection, transaction, write, cancellationToken), cancellationToken);
    }

    private static string InventoryHash(IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes) => InventoryDigest.Text(InventoryDigest.Of(attributes));

    public async Task<IReadOnlyList<AttributeRecord>> GetAttributesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new List<AttributeRecord>();
        foreach (var batch in Batches(deviceIds))
        {
            var rows = await QueryAsync<AttributeRow>(
                $"SELECT device_id, scope, name, value_json, updated_ms FROM attributes WHERE device_id {InList("@batch")} ORDER BY device_id, scope, name",
                new { batch }, cancellationToken).ConfigureAwait(false);
            result.AddRange(rows.Select(ToAttribute));
        }

        return result;
    }

    public IAsyncEnumerable<AttributeRecord> StreamAttributesAsync(CancellationToken cancellationToken) =>
        StreamAsync<AttributeRow>("SELECT device_id, scope, name, value_json, updated_ms FROM attributes ORDER BY device_id, scope, name", null, cancellationToken)
            .Select(ToAttribute);

    public async Task SaveProvidedAsync(IReadOnlyCollection<ProvidedAttribute> values, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return;
        }

        var ms = Ms(now);
        await GroupWriteAsync(async (connection, transaction) => await BulkAsync(connection, transaction,
            $"""
            INSERT INTO attributes (device_id, scope, name, value_json, updated_ms)
            SELECT @device, '{AttributeScope.Provides}', @name, @value, @now WHERE EXISTS (SELECT 1 FROM devices WHERE id = @device)
            ON CONFLICT (device_id, scope, name) DO UPDATE SET value_json = excluded.value_json, updated_ms = excluded.updated_ms
            """,
            ["device", "name", "value", "now"], values,
            (p, v) => (v[0], v[1], v[2], v[3]) = (p.DeviceId, p.Name, Json(System.Text.Json.JsonSerializer.Serialize(p.Value)), ms),
            cancellationToken).ConfigureAwait(false)
            + await BulkAsync(connection, transaction, "UPDATE devices SET updated_ms = @now WHERE id = @device", ["now", "device"], values,
                (p, v) => (v[0], v[1]) = (ms, p.DeviceId), cancellationToken).ConfigureAwait(false), isolated: false).ConfigureAwait(false);
    }

    public IAsyncEnumerable<ProvidedAttribute> StreamProvidedAsync(CancellationToken cancellationToken) =>
        StreamAsync<AttributeRow>($"SELECT device_id, scope, name, value_json, updated_ms FROM attributes WHERE scope = '{AttributeScope.Provides}'", null, cancellationToken)
            .Select(r => new ProvidedAttribute(r.DeviceId, r.Name, JsonMaps.AttributeText(r.ValueJson)));

    public Task<string> FleetFingerprintAsync(CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var statuses = await connection.QueryAsync<(string Status, long Count, long Created, long Untyped)>(Command(
                """
                SELECT status, COUNT(*), COALESCE(MAX(created_ms), 0), COALESCE(SUM(CASE WHEN device_type IS NULL THEN 1 ELSE 0 END), 0)
                FROM devices GROUP BY status ORDER BY status
                """, null, null, cancellationToken)).ConfigureAwait(false);
            var tags = await connection.QuerySingleAsync<(long Count, long Updated)>(Command(
                $"SELECT COUNT(*), COALESCE(MAX(updated_ms), 0) FROM attributes WHERE scope = '{AttributeScope.Tags}'", null, null, cancellationToken)).ConfigureAwait(false);
            return string.Join(';', statuses.Select(s => FormattableString.Invariant($"{s.Status}:{s.Count}:{s.Created}:{s.Untyped}")))
                + FormattableString.Invariant($";tags:{tags.Count}:{tags.Updated}");
        }, cancellationToken);

    public Task<bool> SetGroupAsync(string deviceId, string? group, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            "UPDATE devices SET group_name = @group, updated_ms = @now WHERE id = @deviceId",
            new { group, now = Ms(now), deviceId }, transaction, cancellationToken)).ConfigureAwait(false) > 0, cancellationToken);

    public async Task<IReadOnlyList<string>> ListGroupsAsync(CancellationToken cancellationToken) =>
        await QueryAsync<string>("SELECT DISTINCT group_name FROM devices WHERE group_name IS NOT NULL ORDER BY group_name", null, cancellationToken).ConfigureAwait(false);

    /// <summary>Replaces (PUT) or merges (PATCH) one scope of a device's attributes; false when the device is unknown.</summary>
    private async Task<bool> SaveScopeAsync(DbConnection connection, DbTransaction transaction, ScopeWrite write, CancellationToken cancellationToken)
    {
        // The device's row first, with the device's stored attributes in the same round trip: the row it returns
        // says whether the device exists (nothing else is written then), so no query asks that beforehand (one
        // statement fewer per inventory PUT of a storm, and one round trip where there were two).
        // By device only, the scope filtered here: with "AND scope = @scope" SQLite preferred the covering value index
        // (scope, name, value_json, device_id) and scanned a whole scope of the fleet (10,000 page reads per save at 100,000 devices).
        var deviceId = write.DeviceId;
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var statement = write.Scope == AttributeScope.Inventory
            ? WriterStatement(connection, transaction, SaveInventoryRowSql, "deviceType", "artifactName", "inventoryHash", "now", "deviceId")
                .Bind(write.DeviceType, write.ArtifactName, write.InventoryHash, write.Ms, deviceId)
            : WriterStatement(connection, transaction, SaveScopeRowSql, "now", "deviceId").Bind(write.Ms, deviceId))
        {
            await using var reader = await statement.Command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.GetString(0) == write.Scope)
                {
                    stored[reader.GetString(1)] = reader.GetString(2);
                }
            }
        }

        if (write.Replace)
        {
            var removed = stored.Keys.Where(name => !write.Wanted.ContainsKey(name)).ToList();
            if (removed.Count > 0)
            {
                await BulkAsync(connection, transaction, "DELETE FROM attributes WHERE device_id = @device AND scope = @scope AND name = @name",
                    ["device", "scope", "name"], removed, (name, v) => (v[0], v[1], v[2]) = (deviceId, write.Scope, name), cancellationToken).ConfigureAwait(false);
            }
        }

        // Only the rows that differ are written: an inventory after an update changes a few of its ~17 values, and
        // every row rewritten costs its table page and two index entries (the value index's spread over the file).
        // An attribute's updated time is therefore when its value last changed.
        var changed = write.Wanted.Where(a => !stored.TryGetValue(a.Key, out var json) || json != a.Value).ToList();
        if (changed.Count > 0)
        {
            await UpsertAttributesAsync(connection, transaction, deviceId, write.Scope, changed, write.Ms, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Inserts or updates a device's changed attributes of one scope (name and value JSON): one statement of up to
    /// <see cref="AttributeUpsert.MaxRows"/> rows (a first inventory's 17 in one), kept prepared on the group-commit
    /// writer, where one statement ran per row. An engine that sends a batch of statements in one round trip may keep that.
    /// </summary>
    private protected virtual async Task UpsertAttributesAsync(
        DbConnection connection, DbTransaction transaction, string deviceId, string scope, IReadOnlyList<KeyValuePair<string, string>> changed, long ms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        foreach (var chunk in changed.Chunk(AttributeUpsert.MaxRows))
        {
            var upsert = AttributeUpsert.Of(chunk.Length);
            var values = new object?[upsert.Names.Length];
            (values[0], values[1], values[2]) = (deviceId, scope, ms);
            for (var i = 0; i < chunk.Length; i++)
            {
                (values[3 + (2 * i)], values[4 + (2 * i)]) = (chunk[i].Key, Json(chunk[i].Value));
            }

            using var statement = WriterStatement(connection, transaction, upsert.Sql, upsert.Names).Bind(values);
            await statement.Command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The insert-or-update of one attribute row (<see cref="BulkAsync"/>: one statement per row).</summary>
    private protected const string UpsertAttributeSql =
        """
        INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES (@device, @scope, @name, @value, @now)
        ON CONFLICT (device_id, scope, name) DO UPDATE SET value_json = excluded.value_json, updated_ms = excluded.updated_ms
        """;

    private const string SaveInventoryRowSql =
        """
        UPDATE devices SET device_type = COALESCE(@deviceType, device_type), artifact_name = COALESCE(@artifactName, artifact_name),
            inventory_hash = @inventoryHash, updated_ms = @now WHERE id = @deviceId RETURNING id;
        SELECT scope, name, value_json FROM attributes WHERE device_id = @deviceId
        """;

    private const string SaveScopeRowSql =
        """
        UPDATE devices SET updated_ms = @now WHERE id = @deviceId RETURNING id;
        SELECT scope, name, value_json FROM attributes WHERE device_id = @deviceId
        """;

    /// <summary>
    /// What a save of one scope writes, worked out by the request before it queues: the values' JSON and the device
    /// columns an inventory sets, made on the request's thread instead of the group-commit writer's.
    /// </summary>
    private sealed record ScopeWrite(string DeviceId, string Scope, Dictionary<string, string> Wanted, string? DeviceType, string? ArtifactName, bool Replace, string? InventoryHash, long Ms)
    {
        public static ScopeWrite Of(string deviceId, string scope, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, bool replace, string? inventoryHash, DateTimeOffset now)
        {
            ArgumentNullException.ThrowIfNull(attributes);
            var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var attribute in attributes)
            {
                wanted[attribute.Key] = JsonMaps.AttributeValue(attribute.Value);
            }

            string? deviceType = null, artifactName = null;
            if (scope == AttributeScope.Inventory)
            {
                var type = attributes.LastOrDefault(a => a.Key == "device_type").Value;
                var artifact = attributes.LastOrDefault(a => a.Key == "artifact_name").Value;
                deviceType = type is null ? null : AttributeText.Flatten(type);
                artifactName = artifact is null ? null : AttributeText.Flatten(artifact);
            }

            return new ScopeWrite(deviceId, scope, wanted, deviceType, artifactName, replace, inventoryHash, SqlFleetStore.Ms(now));
        }
    }

    /// <summary>
    /// The insert-or-update of a device's changed attributes as one statement of several rows (<c>@device</c>, <c>@scope</c>,
    /// <c>@now</c>, then a name and a value per row): one statement to run per inventory where there was one per row. One
    /// text per row count, made once.
    /// </summary>
    private sealed record AttributeUpsert(string Sql, string[] Names)
    {
        public const int MaxRows = 32;

        private static readonly AttributeUpsert?[] ByRows = new AttributeUpsert?[MaxRows + 1];

        public static AttributeUpsert Of(int rows) => ByRows[rows] ??= Make(rows);

        private static AttributeUpsert Make(int rows)
        {
            var names = new List<string> { "device", "scope", "now" };
            var tuples = new List<string>();
            for (var i = 0; i < rows; i++)
            {
                var (name, value) = (FormattableString.Invariant($"n{i}"), FormattableString.Invariant($"v{i}"));
                names.Add(name);
                names.Add(value);
                tuples.Add($"(@device, @scope, @{name}, @{value}, @now)");
            }

            return new AttributeUpsert(
                $"""
                INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES {string.Join(", ", tuples)}
                ON CONFLICT (device_id, scope, name) DO UPDATE SET value_json = excluded.value_json, updated_ms = excluded.updated_ms
                """,
                [.. names]);
        }
    }

    private async Task RemoveDeviceRowsAsync(DbConnection connection, DbTransaction transaction, string deviceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EndUnfinishedAsync(connection, transaction, "device_id", deviceId, DeviceDeploymentState.Decommissioned, now, cancellationToken).ConfigureAwait(false);
        foreach (var table in new[] { "auth_sets", "attributes", "configurations" })
        {
            await connection.ExecuteAsync(Command($"DELETE FROM {table} WHERE device_id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(Command("DELETE FROM devices WHERE id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
    }

    private async Task InsertDeviceAsync(DbConnection connection, DbTransaction transaction, string deviceId, AuthStatus status, IReadOnlyDictionary<string, string> identity, string identityKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(Command(
            """
            INSERT INTO devices (id, status, identity_json, identity_key, created_ms, updated_ms)
            VALUES (@deviceId, @status, @identityJson, @identityKey, @now, @now)
            """,
            new { deviceId, status = StatusNames.Of(status), identityJson = Json(JsonMaps.Serialize(identity)), identityKey, now = Ms(now) }, transaction, cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(Command(
            "INSERT INTO attributes (device_id, scope, name, value_json, updated_ms) VALUES (@deviceId, 'identity', @Key, @Value, @now)",
            identity.Select(p => new { deviceId, p.Key, Value = Json(System.Text.Json.JsonSerializer.Serialize(p.Value)), now = Ms(now) }),
            transaction, cancellationToken)).ConfigureAwait(false);
    }

    private static Task InsertAuthSetAsync(DbConnection connection, DbTransaction transaction, AuthSetRecord authSet, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(Command(
            "INSERT INTO auth_sets (id, device_id, pubkey, status, created_ms) VALUES (@Id, @DeviceId, @PublicKey, @Status, @created)",
            new { authSet.Id, authSet.DeviceId, authSet.PublicKey, Status = StatusNames.Of(authSet.Status), created = Ms(authSet.CreatedAt) }, transaction, cancellationToken));

    private static async Task<DeviceRecord?> FindByIdentityKeyAsync(DbConnection connection, DbTransaction transaction, string identityKey, CancellationToken cancellationToken) =>
        ToDevice(await connection.QuerySingleOrDefaultAsync<DeviceRow>(Command(
            $"SELECT {DeviceColumns} FROM devices WHERE identity_key = @identityKey", new { identityKey }, transaction, cancellationToken)).ConfigureAwait(false));

    /// <summary>The device's status follows its auth sets: accepted > preauthorized > pending > rejected.</summary>
    private static async Task<DeviceRecord?> RefreshDeviceStatusAsync(DbConnection connection, DbTransaction transaction, string deviceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var statuses = (await connection.QueryAsync<string>(Command(
            "SELECT status FROM auth_sets WHERE device_id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var status = statuses.Contains(DeviceStatus.Accepted) ? DeviceStatus.Accepted
            : statuses.Contains(DeviceStatus.Preauthorized) ? DeviceStatus.Preauthorized
            : statuses.Contains(DeviceStatus.Pending) ? DeviceStatus.Pending
            : DeviceStatus.Rejected;
        await connection.ExecuteAsync(Command(
            "UPDATE devices SET status = @status, updated_ms = @now WHERE id = @deviceId", new { status, now = Ms(now), deviceId }, transaction, cancellationToken)).ConfigureAwait(false);
        return ToDevice(await connection.QuerySingleOrDefaultAsync<DeviceRow>(Command(
            $"SELECT {DeviceColumns} FROM devices WHERE id = @deviceId", new { deviceId }, transaction, cancellationToken)).ConfigureAwait(false));
    }

    private (string Where, DynamicParameters Parameters) DeviceWhere(DeviceQuery query)
    {
        var clauses = new List<string>();
        var parameters = new DynamicParameters();
        if (query.Status is { } status)
        {
            clauses.Add("d.status = @status");
            parameters.Add("status", StatusNames.Of(status));
        }

        if (query.Ids is { } ids)
        {
            clauses.Add($"d.id {InList("@ids")}");
            parameters.Add("ids", ids.Count == 0 ? [""] : ids);
        }

        if (query.Group is not null)
        {
            clauses.Add("d.group_name = @group");
            parameters.Add("group", query.Group);
        }

        if (query.HasGroup is { } hasGroup)
        {
            clauses.Add(hasGroup ? "d.group_name IS NOT NULL" : "d.group_name IS NULL");
        }

        for (var i = 0; i < query.Filters.Count; i++)
        {
            clauses.Add(FilterClause(query.Filters[i], i, parameters));
        }

        return (clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses), parameters);
    }

    /// <summary>A filter with no value matches no stored attribute value (those are strings or arrays, never null).</summary>
    private const string NoJsonValue = "null";

    private string FilterClause(AttributeFilter filter, int index, DynamicParameters parameters)
    {
        var p = "f" + index.ToString(CultureInfo.InvariantCulture);
        string column;
        bool isColumn;
        if (filter.Scope == AttributeScope.System && filter.Name == "group")
        {
            (column, isColumn) = ("d.group_name", true);
        }
        else if (filter.Scope == AttributeScope.Identity && filter.Name == "status")
        {
            (column, isColumn) = ("d.status", true);
        }
        else
        {
            (column, isColumn) = ("a.value_json", false);
            parameters.Add(p + "s", filter.Scope);
            parameters.Add(p + "n", filter.Name);
        }

        var values = isColumn ? filter.Values : filter.Values.Select(v => System.Text.Json.JsonSerializer.Serialize(v)).ToList();
        var condition = new StringBuilder();
        var exists = true;
        switch (filter.Operator)
        {
            case "$eq":
                condition.Append(CultureInfo.InvariantCulture, $"{column} = @{p}v");
                parameters.Add(p + "v", isColumn ? values.FirstOrDefault() ?? "" : Json(values.FirstOrDefault() ?? NoJsonValue));
                break;
            case "$ne":
                exists = false;
                condition.Append(CultureInfo.InvariantCulture, $"{column} = @{p}v");
                parameters.Add(p + "v", isColumn ? values.FirstOrDefault() ?? "" : Json(values.FirstOrDefault() ?? NoJsonValue));
                break;
            case "$in":
                condition.Append(CultureInfo.InvariantCulture, $"{column} {InList("@" + p + "v")}");
                parameters.Add(p + "v", isColumn ? (values.Count == 0 ? [""] : values) : JsonList(values.Count == 0 ? [NoJsonValue] : values));
                break;
            case "$exists":
                exists = !string.Equals(filter.Values.FirstOrDefault(), "false", StringComparison.OrdinalIgnoreCase);
                condition.Append(isColumn ? $"{column} IS NOT NULL" : "1 = 1");
                break;
            default:
                throw new ArgumentException($"unsupported filter operator '{filter.Operator}'", nameof(filter));
        }

        if (isColumn)
        {
            return exists ? condition.ToString() : $"NOT ({condition})";
        }

        // Values captured from check-ins (scope provides) answer inventory filters too, as they show as inventory.
        var scopes = filter.Scope == AttributeScope.Inventory ? $"a.scope IN (@{p}s, '{AttributeScope.Provides}')" : $"a.scope = @{p}s";
        var subquery = $"EXISTS (SELECT 1 FROM attributes a WHERE a.device_id = d.id AND {scopes} AND a.name = @{p}n AND {condition})";
        return exists ? subquery : "NOT " + subquery;
    }

    private static DeviceRecord? ToDevice(DeviceRow? row) => row is null ? null : new DeviceRecord
    {
        Id = row.Id,
        Status = StatusNames.StoredAuth(row.Status),
        Identity = JsonMaps.Deserialize(row.IdentityJson),
        IdentityKey = row.IdentityKey,
        DeviceType = row.DeviceType,
        ArtifactName = row.ArtifactName,
        Group = row.GroupName,
        CreatedAt = FromMs(row.CreatedMs),
        UpdatedAt = FromMs(row.UpdatedMs),
        LastCheckIn = FromMs(row.LastCheckinMs),
    };

    private static AuthSetRecord ToAuthSet(AuthSetRow row) => new(row.Id, row.DeviceId, row.Pubkey, StatusNames.StoredAuth(row.Status), FromMs(row.CreatedMs));

    private static AttributeRecord ToAttribute(AttributeRow row) => new(row.DeviceId, row.Scope, row.Name, JsonMaps.AttributeValues(row.ValueJson), FromMs(row.UpdatedMs));

    private sealed class DeviceRow
    {
        public string Id { get; set; } = "";
        public string Status { get; set; } = "";
        public string IdentityJson { get; set; } = "";
        public string IdentityKey { get; set; } = "";
        public string? DeviceType { get; set; }
        public string? ArtifactName { get; set; }
        public string? GroupName { get; set; }
        public long CreatedMs { get; set; }
        public long UpdatedMs { get; set; }
        public long? LastCheckinMs { get; set; }
    }

    private sealed class AcceptedKeyColumns
    {
        public string Id { get; set; } = "";
        public string IdentityKey { get; set; } = "";
        public string Pubkey { get; set; } = "";
    }

    private sealed class StatusRow
    {
        public string Id { get; set; } = "";
        public string Status { get; set; } = "";
        public long? LastCheckinMs { get; set; }
        public string? InventoryHash { get; set; }
    }

    private sealed class AuthSetRow
    {
        public string Id { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string Pubkey { get; set; } = "";
        public string Status { get; set; } = "";
        public long CreatedMs { get; set; }
    }

    private sealed class AttributeRow
    {
        public string DeviceId { get; set; } = "";
        public string Scope { get; set; } = "";
        public string Name { get; set; } = "";
        public string ValueJson { get; set; } = "";
        public long UpdatedMs { get; set; }
    }
}
