using System.Globalization;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore : IDashboardStore, INotificationStore
{
    private const string DeliveryColumns =
        "id, endpoint, event_type, payload, status, attempts, created_ms, next_attempt_ms, last_attempt_ms, last_status_code, last_error";

    private long deliverySeq;

    /// <remarks>
    /// Two plans for the same filters, chosen by how many devices match (<see cref="DeviceSearch.KnownTotal"/>, or counted first, up to
    /// <see cref="DeviceSearch.CountUpTo"/> + 1, driven by the most selective index): a few thousand matches are
    /// found through the joins and sorted; more than that are many, so the page is found by walking the devices in id
    /// order and probing each filter's index, which stops after the page's last device instead of sorting them all.
    /// Pages are keyset pages (after or before a device id, never an OFFSET), so the thousandth page costs what the
    /// first does; one row more than the page tells whether another page follows.
    /// </remarks>
    public async Task<DeviceSearchPage> SearchDevicesAsync(DeviceSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var parameters = new DynamicParameters();
        var joins = new List<(string Join, string Exists)>();
        var clauses = new List<string>();
        if (search.Branch is { } branch)
        {
            joins.Add(("JOIN branch_members m ON m.device_id = d.id AND m.branch = @branch",
                "EXISTS (SELECT 1 FROM branch_members m WHERE m.device_id = d.id AND m.branch = @branch)"));
            parameters.Add("branch", branch);
        }

        if (search.RolloutState is not null || search.Reason is not null)
        {
            var conditions = new List<string>();
            if (search.RolloutState is { } state)
            {
                conditions.Add("r.state = @state");
                parameters.Add("state", state);
            }

            if (search.Reason is { } reason)
            {
                conditions.Add("r.last_error LIKE @reason ESCAPE '\\'");
                parameters.Add("reason", "%" + reason.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
            }

            var on = string.Join(" AND ", conditions);
            joins.Add(($"JOIN rollout_devices r ON r.device_id = d.id AND {on}", $"EXISTS (SELECT 1 FROM rollout_devices r WHERE r.device_id = d.id AND {on})"));
        }

        if (search.Status is { } status)
        {
            clauses.Add("d.status = @status");
            parameters.Add("status", status);
        }

        if (search.DeviceType is { } type)
        {
            clauses.Add("d.device_type = @type");
            parameters.Add("type", type);
        }

        if (search.Group is { } group)
        {
            clauses.Add("d.group_name = @group");
            parameters.Add("group", group);
        }

        for (var i = 0; i < search.Attributes.Count; i++)
        {
            var (scope, name, value) = search.Attributes[i];
            var p = "a" + i.ToString(CultureInfo.InvariantCulture);
            var scopes = scope == AttributeScope.Inventory ? $"scope IN (@{p}s, '{AttributeScope.Provides}')" : $"scope = @{p}s";
            clauses.Add($"d.id IN (SELECT device_id FROM attributes WHERE {scopes} AND name = @{p}n AND value_json = @{p}v)");
            parameters.Add(p + "s", scope);
            parameters.Add(p + "n", name);
            parameters.Add(p + "v", Json(System.Text.Json.JsonSerializer.Serialize(value)));
        }

        if (search.Text is { Length: > 0 } text)
        {
            var identityNames = await IdentityNamesAsync(cancellationToken).ConfigureAwait(false);
            var byIdentity = identityNames.Count == 0 ? ""
                : $" OR d.id IN (SELECT device_id FROM attributes WHERE scope = 'identity' AND name {InList("@identityNames")} AND value_json = @textJson)";
            clauses.Add($"((d.id >= @text AND d.id < @textEnd){byIdentity})");
            parameters.Add("text", text);
            parameters.Add("textEnd", text + "\uffff");
            parameters.Add("identityNames", identityNames);
            parameters.Add("textJson", Json(System.Text.Json.JsonSerializer.Serialize(text)));
        }

        var perPage = Math.Clamp(search.PerPage, 1, 500);
        var countUpTo = Math.Max(search.CountUpTo, 1);
        var backwards = search.After is null && search.Before is not null;
        var cursor = search.After is not null ? "d.id > @cursor" : backwards ? "d.id < @cursor" : null;
        parameters.Add("cursor", search.After ?? search.Before);
        parameters.Add("limit", perPage + 1);
        parameters.Add("countLimit", countUpTo + 1);
        const string columns = "d.id, d.status, d.identity_json, d.identity_key, d.device_type, d.artifact_name, d.group_name, d.created_ms, d.updated_ms, d.last_checkin_ms";
        var joinList = string.Join(' ', joins.Select(j => j.Join));
        var counted = $"devices d {joinList} {Where(clauses)}";
        var paged = cursor is null ? clauses : [.. clauses, cursor];
        var joined = $"devices d {joinList} {Where(paged)}";
        var walked = $"devices d {Where([.. paged, .. joins.Select(j => j.Exists)])}";
        return await ReadAsync(async connection =>
        {
            var total = search.KnownTotal ?? await connection.ExecuteScalarAsync<long>(Command(
                $"SELECT COUNT(*) FROM (SELECT 1 FROM {counted} LIMIT @countLimit) counted", parameters, null, cancellationToken)).ConfigureAwait(false);
            var from = total > countUpTo ? walked : joined;
            var rows = (await connection.QueryAsync<DeviceRow>(Command(
                $"SELECT {columns} FROM {from} ORDER BY d.id {(backwards ? "DESC" : "ASC")} LIMIT @limit", parameters, null, cancellationToken)).ConfigureAwait(false)).AsList();
            var more = rows.Count > perPage;
            var devices = rows.Take(perPage).Select(r => ToDevice(r)!).ToList();
            if (backwards)
            {
                devices.Reverse();
            }

            return new DeviceSearchPage(devices, total, search.KnownTotal is null && total > countUpTo,
                HasPrevious: backwards ? more : search.After is not null,
                HasNext: backwards || more);
        }, cancellationToken).ConfigureAwait(false);

        static string Where(IReadOnlyCollection<string> conditions) => conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

    /// <summary>
    /// The names of identity attributes (mac, serial ...), at most 50: a loose index scan, one index seek per name,
    /// instead of a DISTINCT over every device's identity rows.
    /// </summary>
    private async Task<IReadOnlyList<string>> IdentityNamesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await ReadAsync(async connection =>
        {
            var previous = "";
            while (names.Count < 50 && await connection.ExecuteScalarAsync<string?>(Command(
                "SELECT MIN(name) FROM attributes WHERE scope = 'identity' AND name > @previous", new { previous }, null, cancellationToken)).ConfigureAwait(false) is { } name)
            {
                names.Add(name);
                previous = name;
            }

            return names;
        }, cancellationToken).ConfigureAwait(false);
        return names;
    }

    private static readonly BulkTable BranchMemberRows = new("branch_members", ["device_id", "branch"], ["device_id"], ["branch"]);

    public Task<int> SyncBranchMembersAsync(string branch, IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        return WriteAsync(async (connection, transaction) =>
        {
            var current = (await connection.QueryAsync<string>(Command(
                "SELECT device_id FROM branch_members WHERE branch = @branch", new { branch }, transaction, cancellationToken)).ConfigureAwait(false))
                .ToHashSet(StringComparer.Ordinal);
            var wanted = deviceIds as IReadOnlySet<string> ?? deviceIds.ToHashSet(StringComparer.Ordinal);
            var removed = current.Where(id => !wanted.Contains(id)).ToList();
            var added = deviceIds.Where(id => !current.Contains(id)).ToList();
            var changed = await BulkAsync(connection, transaction, "DELETE FROM branch_members WHERE device_id = @device AND branch = @branch",
                ["device", "branch"], removed, (id, v) => (v[0], v[1]) = (id, branch), cancellationToken).ConfigureAwait(false);
            changed += await BulkInsertAsync(connection, transaction, BranchMemberRows, added, (id, v) => (v[0], v[1]) = (id, branch), cancellationToken).ConfigureAwait(false);
            return changed;
        }, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetBranchesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in Batches(deviceIds))
        {
            foreach (var (device, branch) in await QueryAsync<(string, string)>($"SELECT device_id, branch FROM branch_members WHERE device_id {InList("@batch")}", new { batch }, cancellationToken).ConfigureAwait(false))
            {
                result[device] = branch;
            }
        }

        return result;
    }

    public async Task<IReadOnlyList<RolloutDeviceRecord>> GetRolloutDevicesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new List<RolloutDeviceRecord>();
        foreach (var batch in Batches(deviceIds))
        {
            var rows = await QueryAsync<(string DeviceId, string State, int Attempts, string? Deployments, string? LastError, long ChangedMs)>(
                $"SELECT device_id, state, attempts, deployments, last_error, changed_ms FROM rollout_devices WHERE device_id {InList("@batch")} ORDER BY device_id", new { batch }, cancellationToken).ConfigureAwait(false);
            result.AddRange(rows.Select(r => new RolloutDeviceRecord(r.DeviceId, ParseState(r.State), r.Attempts,
                r.Deployments is null ? [] : r.Deployments.Split(','), r.LastError, FromMs(r.ChangedMs))));
        }

        return result;
    }

    public Task InsertDeliveriesAsync(IReadOnlyList<NotificationDelivery> deliveries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        return deliveries.Count == 0 ? Task.CompletedTask : WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            $"INSERT INTO notification_deliveries ({DeliveryColumns}, seq) VALUES (@Id, @Endpoint, @EventType, @Payload, @Status, @Attempts, @Created, @Next, @Last, @LastStatusCode, @LastError, @Seq)",
            deliveries.Select(d => new
            {
                d.Id, d.Endpoint, d.EventType, d.Payload, d.Status, d.Attempts, Created = Ms(d.CreatedAt), Next = Ms(d.NextAttemptAt),
                Last = d.LastAttemptAt is { } last ? Ms(last) : (long?)null, d.LastStatusCode, d.LastError,
                Seq = Ms(d.CreatedAt) * 1000 + (Interlocked.Increment(ref deliverySeq) % 1000),
            }), transaction, cancellationToken)).ConfigureAwait(false), cancellationToken);
    }

    public async Task<IReadOnlyList<NotificationDelivery>> DueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        (await QueryAsync<DeliveryRow>($"SELECT {DeliveryColumns} FROM notification_deliveries WHERE status = 'pending' AND next_attempt_ms <= @now ORDER BY seq LIMIT @max",
            new { now = Ms(now), max }, cancellationToken).ConfigureAwait(false)).Select(ToDelivery).ToList();

    public Task UpdateDeliveryAsync(NotificationDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            """
            UPDATE notification_deliveries SET status = @Status, attempts = @Attempts, next_attempt_ms = @Next, last_attempt_ms = @Last,
                last_status_code = @LastStatusCode, last_error = @LastError WHERE id = @Id
            """,
            new
            {
                delivery.Id, delivery.Status, delivery.Attempts, Next = Ms(delivery.NextAttemptAt),
                Last = delivery.LastAttemptAt is { } last ? Ms(last) : (long?)null, delivery.LastStatusCode, delivery.LastError,
            }, transaction, cancellationToken)).ConfigureAwait(false), cancellationToken);
    }

    public async Task<IReadOnlyList<NotificationDelivery>> ListDeliveriesAsync(int max, CancellationToken cancellationToken) =>
        (await QueryAsync<DeliveryRow>($"SELECT {DeliveryColumns} FROM notification_deliveries ORDER BY seq DESC LIMIT @max", new { max }, cancellationToken).ConfigureAwait(false))
            .Select(ToDelivery).ToList();

    private static NotificationDelivery ToDelivery(DeliveryRow r) => new()
    {
        Id = r.Id,
        Endpoint = r.Endpoint,
        EventType = r.EventType,
        Payload = r.Payload,
        Status = r.Status,
        Attempts = r.Attempts,
        CreatedAt = FromMs(r.CreatedMs),
        NextAttemptAt = FromMs(r.NextAttemptMs),
        LastAttemptAt = FromMs(r.LastAttemptMs),
        LastStatusCode = r.LastStatusCode,
        LastError = r.LastError,
    };

    private sealed class DeliveryRow
    {
        public string Id { get; set; } = "";
        public string Endpoint { get; set; } = "";
        public string EventType { get; set; } = "";
        public string Payload { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public long CreatedMs { get; set; }
        public long NextAttemptMs { get; set; }
        public long? LastAttemptMs { get; set; }
        public int? LastStatusCode { get; set; }
        public string? LastError { get; set; }
    }
}
