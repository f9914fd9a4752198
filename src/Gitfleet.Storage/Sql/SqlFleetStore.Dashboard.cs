using Dapper;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore : IDashboardStore, INotificationStore
{
    private const string DeliveryColumns =
        "id, endpoint, event_type, payload, status, attempts, created_ms, next_attempt_ms, last_attempt_ms, last_status_code, last_error";

    private long deliverySeq;

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
