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
    /// Two plans for the same filters, chosen by how many devices match (counted first, up to
    /// <see cref="DeviceSearch.CountLimit"/> + 1, driven by the most selective index): a few thousand matches are
    /// found through the joins and sorted; more than that are many, so the page is found by walking the devices in id
    /// order and probing each filter's index, which stops after the page's last device instead of sorting them all.
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
            parameters.Add(p + "v", System.Text.Json.JsonSerializer.Serialize(value));
        }

        if (search.Text is { Length: > 0 } text)
        {
            var identityNames = await QueryAsync<string>("SELECT DISTINCT name FROM attributes WHERE scope = 'identity' LIMIT 50", null, cancellationToken).ConfigureAwait(false);
            var byIdentity = identityNames.Count == 0 ? ""
                : " OR d.id IN (SELECT device_id FROM attributes WHERE scope = 'identity' AND name IN @identityNames AND value_json = @textJson)";
            clauses.Add($"((d.id >= @text AND d.id < @textEnd){byIdentity})");
            parameters.Add("text", text);
            parameters.Add("textEnd", text + "\uffff");
            parameters.Add("identityNames", identityNames);
            parameters.Add("textJson", System.Text.Json.JsonSerializer.Serialize(text));
        }

        var perPage = Math.Clamp(search.PerPage, 1, 500);
        parameters.Add("limit", perPage);
        parameters.Add("offset", (long)(Math.Max(search.Page, 1) - 1) * perPage);
        parameters.Add("countLimit", DeviceSearch.CountLimit + 1);
        const string columns = "d.id, d.status, d.identity_json, d.identity_key, d.device_type, d.artifact_name, d.group_name, d.created_ms, d.updated_ms, d.last_checkin_ms";
        var joined = $"devices d {string.Join(' ', joins.Select(j => j.Join))} {Where(clauses)}";
        var walked = $"devices d {Where([.. clauses, .. joins.Select(j => j.Exists)])}";
        return await ReadAsync(async connection =>
        {
            var total = await connection.ExecuteScalarAsync<long>(Command(
                $"SELECT COUNT(*) FROM (SELECT 1 FROM {joined} LIMIT @countLimit) counted", parameters, null, cancellationToken)).ConfigureAwait(false);
            var from = total > DeviceSearch.CountLimit ? walked : joined;
            var rows = await connection.QueryAsync<DeviceRow>(Command(
                $"SELECT {columns} FROM {from} ORDER BY d.id LIMIT @limit OFFSET @offset", parameters, null, cancellationToken)).ConfigureAwait(false);
            return new DeviceSearchPage(rows.Select(r => ToDevice(r)!).ToList(), total);
        }, cancellationToken).ConfigureAwait(false);

        static string Where(IReadOnlyCollection<string> conditions) => conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

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
            changed += await BulkAsync(connection, transaction,
                "INSERT INTO branch_members (device_id, branch) VALUES (@device, @branch) ON CONFLICT (device_id) DO UPDATE SET branch = excluded.branch",
                ["device", "branch"], added, (id, v) => (v[0], v[1]) = (id, branch), cancellationToken).ConfigureAwait(false);
            return changed;
        }, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetBranchesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in Batches(deviceIds))
        {
            foreach (var (device, branch) in await QueryAsync<(string, string)>("SELECT device_id, branch FROM branch_members WHERE device_id IN @batch", new { batch }, cancellationToken).ConfigureAwait(false))
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
                "SELECT device_id, state, attempts, deployments, last_error, changed_ms FROM rollout_devices WHERE device_id IN @batch ORDER BY device_id", new { batch }, cancellationToken).ConfigureAwait(false);
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
