using System.Data.Common;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string DeploymentColumns =
        """
        id, name, artifact_name, kind, status, created_ms, finished_ms, device_count, retries, group_name,
        trace_branch, trace_commit, trace_author, trace_subject, idempotency_key, artifact_id, configuration_json, configuration_checksum, seq,
        secret_keys_json
        """;

    private const string DeviceDeploymentColumns =
        """
        id, deployment_id, device_id, status, finished, created_ms, started_ms, finished_ms, updated_ms, attempts, device_type,
        artifact_id, has_log, substate, seq
        """;

    public async Task<CreateDeploymentOutcome> CreateDeploymentAsync(NewDeployment deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var key = deployment.Deployment.IdempotencyKey;
        try
        {
            return await WriteAsync(async (connection, transaction) =>
            {
                if (key is not null && await FindByKeyAsync(connection, transaction, key, cancellationToken).ConfigureAwait(false) is { } existing)
                {
                    return new CreateDeploymentOutcome(existing, Existing: true);
                }

                var seq = 1 + await connection.ExecuteScalarAsync<long>(Command(
                    "SELECT COALESCE(MAX(seq), 0) FROM deployments", null, transaction, cancellationToken)).ConfigureAwait(false);
                var d = deployment.Deployment;
                await connection.ExecuteAsync(Command(
                    $"""
                    INSERT INTO deployments ({DeploymentColumns}) VALUES (@Id, @Name, @ArtifactName, @Kind, @Status, @created, @finished, @DeviceCount,
                        @Retries, @Group, @branch, @commit, @author, @subject, @IdempotencyKey, @ArtifactId, @ConfigurationJson, @ConfigurationChecksum, @seq,
                        @secretKeys)
                    """,
                    new
                    {
                        d.Id, d.Name, d.ArtifactName, d.Kind, Status = StatusNames.Of(d.Status), created = Ms(d.CreatedAt), finished = d.FinishedAt is { } f ? Ms(f) : (long?)null,
                        d.DeviceCount, d.Retries, d.Group, branch = d.Trace?.Branch, commit = d.Trace?.Commit, author = d.Trace?.Author,
                        subject = d.Trace?.Subject, d.IdempotencyKey, d.ArtifactId, ConfigurationJson = Json(d.Configuration is null ? null : JsonMaps.Serialize(d.Configuration)), d.ConfigurationChecksum, seq,
                        secretKeys = d.SecretKeys is null ? null : JsonMaps.SerializeList(d.SecretKeys),
                    }, transaction, cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(Command(
                    $"""
                    INSERT INTO device_deployments ({DeviceDeploymentColumns}) VALUES (@Id, @DeploymentId, @DeviceId, @Status, @finished, @created,
                        NULL, @finishedMs, @created, 0, @DeviceType, @ArtifactId, 0, NULL, @seq)
                    """,
                    deployment.Devices.Select(dd => new
                    {
                        dd.Id, dd.DeploymentId, dd.DeviceId, Status = StatusNames.Of(dd.Status), finished = dd.Status.IsFinished() ? 1 : 0,
                        created = Ms(dd.CreatedAt), finishedMs = dd.FinishedAt is { } f ? Ms(f) : (long?)null, dd.DeviceType, dd.ArtifactId, seq,
                    }), transaction, cancellationToken)).ConfigureAwait(false);
                await RefreshDeploymentStatusAsync(connection, transaction, d.Id, d.CreatedAt, cancellationToken).ConfigureAwait(false);
                var stored = await GetDeploymentAsync(connection, transaction, d.Id, cancellationToken).ConfigureAwait(false);
                return new CreateDeploymentOutcome(stored!, Existing: false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (key is not null && IsUniqueViolation(e))
        {
            // Another writer (another replica) inserted the same key first: answer with theirs.
            var winner = await FindDeploymentByIdempotencyKeyAsync(key, cancellationToken).ConfigureAwait(false);
            return winner is null ? throw new InvalidOperationException("idempotency key conflict without a stored deployment", e) : new CreateDeploymentOutcome(winner, true);
        }
    }

    public Task<DeploymentRecord?> GetDeploymentAsync(string id, CancellationToken cancellationToken) =>
        ReadAsync(connection => GetDeploymentAsync(connection, null, id, cancellationToken), cancellationToken);

    public Task<DeploymentRecord?> FindDeploymentByIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(connection => FindByKeyAsync(connection, null, key, cancellationToken), cancellationToken);

    public async Task<Page<DeploymentRecord>> ListDeploymentsAsync(DeploymentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        if (query.Status is not null)
        {
            where.Add("status = @Status");
        }

        if (query.Search is not null)
        {
            where.Add("(name LIKE @pattern OR artifact_name LIKE @pattern)");
        }

        var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        var parameters = new
        {
            Status = query.Status is { } wanted ? StatusNames.Of(wanted) : null,
            pattern = "%" + query.Search + "%",
            limit = query.PerPage,
            offset = (long)(Math.Max(query.Page, 1) - 1) * query.PerPage,
        };
        return await ReadAsync(async connection =>
        {
            var total = await connection.ExecuteScalarAsync<long>(Command($"SELECT COUNT(*) FROM deployments {clause}", parameters, null, cancellationToken)).ConfigureAwait(false);
            var rows = await connection.QueryAsync<DeploymentRow>(Command(
                $"SELECT {DeploymentColumns} FROM deployments {clause} ORDER BY seq DESC LIMIT @limit OFFSET @offset", parameters, null, cancellationToken)).ConfigureAwait(false);
            return new Page<DeploymentRecord>(rows.Select(ToDeployment).ToList(), total);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<DeviceDeploymentState, long>> GetStatisticsAsync(string deploymentId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<(string Status, long Count)>(
            "SELECT status, COUNT(*) FROM device_deployments WHERE deployment_id = @deploymentId GROUP BY status", new { deploymentId }, cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => StatusNames.StoredDeviceDeployment(r.Status), r => r.Count);
    }

    public async Task<IReadOnlyDictionary<DeploymentState, long>> CountDeploymentsByStatusAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<(string Status, long Count)>("SELECT status, COUNT(*) FROM deployments GROUP BY status", null, cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => StatusNames.StoredDeployment(r.Status), r => r.Count);
    }

    public Task<Page<DeviceDeploymentRecord>> ListDeviceDeploymentsAsync(string deploymentId, int page, int perPage, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var total = await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM device_deployments WHERE deployment_id = @deploymentId", new { deploymentId }, null, cancellationToken)).ConfigureAwait(false);
            var rows = await connection.QueryAsync<DeviceDeploymentRow>(Command(
                $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE deployment_id = @deploymentId ORDER BY device_id LIMIT @perPage OFFSET @offset",
                new { deploymentId, perPage, offset = (long)(Math.Max(page, 1) - 1) * perPage }, null, cancellationToken)).ConfigureAwait(false);
            return new Page<DeviceDeploymentRecord>(rows.Select(ToDeviceDeployment).ToList(), total);
        }, cancellationToken);

    public Task<IReadOnlyList<DeviceDeploymentView>> ListDeviceHistoryAsync(string deviceId, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<DeviceDeploymentRow>(Command(
                $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE device_id = @deviceId ORDER BY seq DESC",
                new { deviceId }, null, cancellationToken)).ConfigureAwait(false)).AsList();
            return await WithDeploymentsAsync(connection, rows, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<DeviceDeploymentView?> GetNextForDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<DeviceDeploymentRow>(Command(
                $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE device_id = @deviceId AND finished = 0 ORDER BY seq LIMIT 1",
                new { deviceId }, null, cancellationToken)).ConfigureAwait(false)).AsList();
            return (await WithDeploymentsAsync(connection, rows, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        }, cancellationToken);

    public Task<DeviceDeploymentView?> GetDeviceDeploymentAsync(string deploymentId, string deviceId, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<DeviceDeploymentRow>(Command(
                $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE deployment_id = @deploymentId AND device_id = @deviceId",
                new { deploymentId, deviceId }, null, cancellationToken)).ConfigureAwait(false)).AsList();
            return (await WithDeploymentsAsync(connection, rows, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        }, cancellationToken);

    public async Task<DeviceDeploymentRecord?> GetDeviceDeploymentByIdAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<DeviceDeploymentRow>($"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE id = @id", new { id }, cancellationToken).ConfigureAwait(false))
            .Select(ToDeviceDeployment).FirstOrDefault();

    /// <summary>
    /// One status report: the fewest statements and index writes that give the same rows. A report that does not
    /// change whether the row is finished (downloading, installing, rebooting) writes no <c>finished</c> column, so the
    /// two indexes over it (by device, unfinished) are not rewritten; such a report leaves an in-progress deployment
    /// in progress and its device with an unfinished deployment, so neither is queried; the updated row is built in
    /// memory, not read back.
    /// </summary>
    public Task<StatusChangeOutcome?> UpdateDeviceStatusAsync(string deviceDeploymentId, DeviceDeploymentState status, string? substate, DateTimeOffset now, CancellationToken cancellationToken) =>
        GroupWriteAsync(async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<DeviceDeploymentRow>(Command(
                $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE id = @deviceDeploymentId",
                new { deviceDeploymentId }, transaction, cancellationToken)).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            var deployment = (await GetDeploymentAsync(connection, transaction, row.DeploymentId, cancellationToken).ConfigureAwait(false))!;
            var current = StatusNames.StoredDeviceDeployment(row.Status);
            var attempts = current == DeviceDeploymentState.Pending && status != DeviceDeploymentState.Pending ? row.Attempts + 1 : row.Attempts;
            var newStatus = status == DeviceDeploymentState.Failure && attempts <= deployment.Retries ? DeviceDeploymentState.Pending : status;
            var finished = newStatus.IsFinished();
            var ms = Ms(now);
            var finishedMs = finished ? ms : (long?)null;
            var finishedChanges = row.Finished != (finished ? 1 : 0);
            await connection.ExecuteAsync(Command(
                finishedChanges ? UpdateStatusAndFinished : UpdateStatusOnly,
                new { newStatus = StatusNames.Of(newStatus), finishedFlag = finished ? 1 : 0, attempts, substate, now = ms, finishedMs, deviceDeploymentId },
                transaction, cancellationToken)).ConfigureAwait(false);
            var updatedDeployment = deployment.Status == DeploymentState.InProgress && !finished
                ? deployment
                : await AdvanceDeploymentStatusAsync(connection, transaction, row.DeploymentId, now, cancellationToken, deployment).ConfigureAwait(false);
            var unfinished = !finished || await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM device_deployments WHERE device_id = @DeviceId AND finished = 0", new { row.DeviceId }, transaction, cancellationToken)).ConfigureAwait(false) > 0;
            row.Status = StatusNames.Of(newStatus);
            row.Finished = finished ? 1 : 0;
            row.Attempts = attempts;
            row.Substate = substate;
            row.UpdatedMs = ms;
            row.StartedMs ??= ms;
            row.FinishedMs = finishedMs;
            return new StatusChangeOutcome(ToDeviceDeployment(row), updatedDeployment, unfinished);
        });

    private const string UpdateStatusAndFinished = """
        UPDATE device_deployments SET status = @newStatus, finished = @finishedFlag, attempts = @attempts, substate = @substate, updated_ms = @now,
            started_ms = COALESCE(started_ms, @now), finished_ms = @finishedMs
        WHERE id = @deviceDeploymentId
        """;

    /// <summary>The same update where <c>finished</c> keeps its value: it is left out, so its indexes are not rewritten.</summary>
    private const string UpdateStatusOnly = """
        UPDATE device_deployments SET status = @newStatus, attempts = @attempts, substate = @substate, updated_ms = @now,
            started_ms = COALESCE(started_ms, @now), finished_ms = @finishedMs
        WHERE id = @deviceDeploymentId
        """;

    public Task<IReadOnlyList<string>?> AbortDeploymentAsync(string deploymentId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<string>?>(async (connection, transaction) =>
            await GetDeploymentAsync(connection, transaction, deploymentId, cancellationToken).ConfigureAwait(false) is null
                ? null
                : (await EndUnfinishedAsync(connection, transaction, "deployment_id", deploymentId, DeviceDeploymentState.Aborted, now, cancellationToken).ConfigureAwait(false))
                    .Select(r => r.DeviceId).ToList(),
            cancellationToken);

    public Task<int> AbortDeviceAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
            (await EndUnfinishedAsync(connection, transaction, "device_id", deviceId, DeviceDeploymentState.Aborted, now, cancellationToken).ConfigureAwait(false)).Count,
            cancellationToken);

    public Task SaveLogAsync(string deviceDeploymentId, IReadOnlyList<DeploymentLogMessage> messages, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var messagesJson = JsonMaps.SerializeLog(messages);
        return GroupWriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(Command(
                """
                INSERT INTO deployment_logs (device_deployment_id, messages_json, created_ms) VALUES (@deviceDeploymentId, @messagesJson, @now)
                ON CONFLICT (device_deployment_id) DO UPDATE SET messages_json = excluded.messages_json, created_ms = excluded.created_ms
                """, new { deviceDeploymentId, messagesJson, now = Ms(now) }, transaction, cancellationToken)).ConfigureAwait(false);
            return await connection.ExecuteAsync(Command(
                "UPDATE device_deployments SET has_log = 1 WHERE id = @deviceDeploymentId", new { deviceDeploymentId }, transaction, cancellationToken)).ConfigureAwait(false);
        });
    }

    public async Task<IReadOnlyList<DeploymentLogMessage>?> GetLogAsync(string deviceDeploymentId, CancellationToken cancellationToken) =>
        (await QueryAsync<string>("SELECT messages_json FROM deployment_logs WHERE device_deployment_id = @deviceDeploymentId", new { deviceDeploymentId }, cancellationToken).ConfigureAwait(false))
            .Select(JsonMaps.DeserializeLog).FirstOrDefault();

    public IAsyncEnumerable<string> StreamDevicesWithUnfinishedAsync(CancellationToken cancellationToken) =>
        StreamAsync<string>("SELECT DISTINCT device_id FROM device_deployments WHERE finished = 0", null, cancellationToken);

    public async IAsyncEnumerable<DeviceDeploymentView> StreamUnfinishedAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deployments = (await QueryAsync<DeploymentRow>(
            $"SELECT {DeploymentColumns} FROM deployments WHERE status <> 'finished'", null, cancellationToken).ConfigureAwait(false))
            .Select(ToDeployment).ToDictionary(d => d.Id, StringComparer.Ordinal);
        await foreach (var row in StreamAsync<DeviceDeploymentRow>(
            $"SELECT {DeviceDeploymentColumns} FROM device_deployments WHERE finished = 0 ORDER BY device_id, seq", null, cancellationToken).ConfigureAwait(false))
        {
            if (deployments.TryGetValue(row.DeploymentId, out var deployment))
            {
                yield return new DeviceDeploymentView(ToDeviceDeployment(row), deployment);
            }
        }
    }

    /// <summary>
    /// Ends every unfinished device row whose <paramref name="column"/> (deployment_id or device_id) equals
    /// <paramref name="value"/> with <paramref name="status"/>, and recomputes the deployments it touched.
    /// </summary>
    private async Task<List<(string DeviceId, string DeploymentId)>> EndUnfinishedAsync(
        DbConnection connection, DbTransaction transaction, string column, string value, DeviceDeploymentState status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<(string DeviceId, string DeploymentId)>(Command(
            $"SELECT device_id, deployment_id FROM device_deployments WHERE {column} = @value AND finished = 0",
            new { value }, transaction, cancellationToken)).ConfigureAwait(false)).AsList();
        await connection.ExecuteAsync(Command(
            $"""
            UPDATE device_deployments SET status = @status, finished = 1, finished_ms = @now, updated_ms = @now
            WHERE {column} = @value AND finished = 0
            """, new { status = StatusNames.Of(status), value, now = Ms(now) }, transaction, cancellationToken)).ConfigureAwait(false);
        foreach (var deploymentId in rows.Select(r => r.DeploymentId).Distinct(StringComparer.Ordinal))
        {
            await AdvanceDeploymentStatusAsync(connection, transaction, deploymentId, now, cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>
    /// The status of a deployment after one of its devices changed: finished when no device is left unfinished,
    /// else in progress. Index seeks only, so a report from one of 200,000 devices costs no scan of the others.
    /// </summary>
    /// <param name="known">The deployment as read in this transaction, returned when its status does not change (no read back).</param>
    private async Task<DeploymentRecord> AdvanceDeploymentStatusAsync(
        DbConnection connection, DbTransaction transaction, string deploymentId, DateTimeOffset now, CancellationToken cancellationToken, DeploymentRecord? known = null)
    {
        var unfinished = await connection.ExecuteScalarAsync<long>(Command(
            $"SELECT COUNT(*) FROM (SELECT 1 FROM device_deployments WHERE deployment_id = @deploymentId AND status {InList("@statuses")} LIMIT 1) u",
            new { deploymentId, statuses = UnfinishedStatuses }, transaction, cancellationToken)).ConfigureAwait(false);
        var status = unfinished == 0 ? DeploymentState.Finished : DeploymentState.InProgress;
        if (known is not null && known.Status == status)
        {
            return known;
        }

        await connection.ExecuteAsync(Command(
            """
            UPDATE deployments SET status = @status,
                finished_ms = CASE WHEN @status = 'finished' THEN COALESCE(finished_ms, @now) ELSE NULL END
            WHERE id = @deploymentId AND status <> @status
            """, new { status = StatusNames.Of(status), now = Ms(now), deploymentId }, transaction, cancellationToken)).ConfigureAwait(false);
        return (await GetDeploymentAsync(connection, transaction, deploymentId, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The unfinished statuses as stored (the parameter of the deployment's "anything left?" seek).</summary>
    private static readonly string[] UnfinishedStatuses = [.. DeviceDeploymentStates.Unfinished.Select(StatusNames.Of)];

    /// <summary>Recomputes a deployment's status from its device rows: pending, inprogress, finished.</summary>
    private static async Task<DeploymentRecord> RefreshDeploymentStatusAsync(DbConnection connection, DbTransaction transaction, string deploymentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = await connection.QuerySingleAsync<(long Total, long Finished, long Untouched)>(Command(
            """
            SELECT COUNT(*), COALESCE(SUM(finished), 0), COALESCE(SUM(CASE WHEN status = @pending AND attempts = 0 THEN 1 ELSE 0 END), 0)
            FROM device_deployments WHERE deployment_id = @deploymentId
            """, new { deploymentId, pending = StatusNames.Of(DeviceDeploymentState.Pending) }, transaction, cancellationToken)).ConfigureAwait(false);
        var status = counts.Finished == counts.Total ? DeploymentState.Finished
            : counts.Untouched == counts.Total ? DeploymentState.Pending
            : DeploymentState.InProgress;
        await connection.ExecuteAsync(Command(
            """
            UPDATE deployments SET status = @status,
                finished_ms = CASE WHEN @status = 'finished' THEN COALESCE(finished_ms, @now) ELSE NULL END
            WHERE id = @deploymentId
            """, new { status = StatusNames.Of(status), now = Ms(now), deploymentId }, transaction, cancellationToken)).ConfigureAwait(false);
        return (await GetDeploymentAsync(connection, transaction, deploymentId, cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<DeploymentRecord?> GetDeploymentAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<DeploymentRow>(Command($"SELECT {DeploymentColumns} FROM deployments WHERE id = @id", new { id }, transaction, cancellationToken)).ConfigureAwait(false))
            .Select(ToDeployment).FirstOrDefault();

    private static async Task<DeploymentRecord?> FindByKeyAsync(DbConnection connection, DbTransaction? transaction, string key, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<DeploymentRow>(Command($"SELECT {DeploymentColumns} FROM deployments WHERE idempotency_key = @key", new { key }, transaction, cancellationToken)).ConfigureAwait(false))
            .Select(ToDeployment).FirstOrDefault();

    private async Task<IReadOnlyList<DeviceDeploymentView>> WithDeploymentsAsync(DbConnection connection, List<DeviceDeploymentRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var ids = rows.Select(r => r.DeploymentId).Distinct(StringComparer.Ordinal).ToList();
        var deployments = new Dictionary<string, DeploymentRecord>(StringComparer.Ordinal);
        foreach (var batch in Batches(ids))
        {
            foreach (var d in await connection.QueryAsync<DeploymentRow>(Command(
                $"SELECT {DeploymentColumns} FROM deployments WHERE id {InList("@batch")}", new { batch }, null, cancellationToken)).ConfigureAwait(false))
            {
                deployments[d.Id] = ToDeployment(d);
            }
        }

        return rows.Where(r => deployments.ContainsKey(r.DeploymentId))
            .Select(r => new DeviceDeploymentView(ToDeviceDeployment(r), deployments[r.DeploymentId])).ToList();
    }

    private static DeploymentRecord ToDeployment(DeploymentRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        ArtifactName = row.ArtifactName,
        Kind = row.Kind,
        Status = StatusNames.StoredDeployment(row.Status),
        CreatedAt = FromMs(row.CreatedMs),
        FinishedAt = FromMs(row.FinishedMs),
        DeviceCount = (int)row.DeviceCount,
        Retries = (int)row.Retries,
        Group = row.GroupName,
        Trace = row.TraceBranch is null && row.TraceCommit is null && row.TraceAuthor is null && row.TraceSubject is null
            ? null
            : new DeploymentTrace(row.TraceBranch, row.TraceCommit, row.TraceAuthor, row.TraceSubject),
        IdempotencyKey = row.IdempotencyKey,
        ArtifactId = row.ArtifactId,
        Configuration = row.ConfigurationJson is null ? null : JsonMaps.Deserialize(row.ConfigurationJson),
        ConfigurationChecksum = row.ConfigurationChecksum,
        SecretKeys = row.SecretKeysJson is null ? null : JsonMaps.DeserializeList(row.SecretKeysJson),
    };

    private static DeviceDeploymentRecord ToDeviceDeployment(DeviceDeploymentRow row) => new()
    {
        Id = row.Id,
        DeploymentId = row.DeploymentId,
        DeviceId = row.DeviceId,
        Status = StatusNames.StoredDeviceDeployment(row.Status),
        CreatedAt = FromMs(row.CreatedMs),
        StartedAt = FromMs(row.StartedMs),
        FinishedAt = FromMs(row.FinishedMs),
        UpdatedAt = FromMs(row.UpdatedMs),
        Attempts = (int)row.Attempts,
        DeviceType = row.DeviceType,
        ArtifactId = row.ArtifactId,
        HasLog = row.HasLog != 0,
        Substate = row.Substate,
    };

    private sealed class DeploymentRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string ArtifactName { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Status { get; set; } = "";
        public long CreatedMs { get; set; }
        public long? FinishedMs { get; set; }
        public long DeviceCount { get; set; }
        public long Retries { get; set; }
        public string? GroupName { get; set; }
        public string? TraceBranch { get; set; }
        public string? TraceCommit { get; set; }
        public string? TraceAuthor { get; set; }
        public string? TraceSubject { get; set; }
        public string? IdempotencyKey { get; set; }
        public string? ArtifactId { get; set; }
        public string? ConfigurationJson { get; set; }
        public string? ConfigurationChecksum { get; set; }
        public long Seq { get; set; }
        public string? SecretKeysJson { get; set; }
    }

    private sealed class DeviceDeploymentRow
    {
        public string Id { get; set; } = "";
        public string DeploymentId { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string Status { get; set; } = "";
        public long Finished { get; set; }
        public long CreatedMs { get; set; }
        public long? StartedMs { get; set; }
        public long? FinishedMs { get; set; }
        public long? UpdatedMs { get; set; }
        public long Attempts { get; set; }
        public string? DeviceType { get; set; }
        public string? ArtifactId { get; set; }
        public long HasLog { get; set; }
        public string? Substate { get; set; }
        public long Seq { get; set; }
    }
}
