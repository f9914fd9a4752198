using System.Data.Common;
using Dapper;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string BranchColumns =
        """
        branch, target_generation, commit_sha, commit_author, commit_subject, commit_ms, content_hash, target_digest, applied_ms,
        last_seen_commit, errors_json, rollout_generation, wave, wave_completed_ms, paused, pause_reason, acknowledged_failures,
        aborted, started_ms, completed_ms, updated_ms, bulk_completed_ms, revert_requested, acknowledged_wave, acknowledged_failed,
        acknowledged_timed_out, acknowledged_rejected, reverted_commit
        """;

    public async Task<IReadOnlyList<BranchRecord>> ListBranchesAsync(CancellationToken cancellationToken) =>
        (await QueryAsync<BranchRow>($"SELECT {BranchColumns} FROM reconcile_branches ORDER BY branch", null, cancellationToken).ConfigureAwait(false))
            .Select(ToBranch).ToList();

    public async Task<Gitfleet.Core.Reconcile.BranchTarget?> GetTargetAsync(string branch, CancellationToken cancellationToken) =>
        (await QueryAsync<string>("SELECT target_json FROM reconcile_targets WHERE branch = @branch", new { branch }, cancellationToken).ConfigureAwait(false))
            .Select(ParseTarget).FirstOrDefault();

    private static string TargetJson(Gitfleet.Core.Reconcile.BranchTarget target) =>
        System.Text.Json.JsonSerializer.Serialize(target, Gitfleet.Core.Reconcile.ReconcileJson.Context.BranchTarget);

    private static Gitfleet.Core.Reconcile.BranchTarget ParseTarget(string json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, Gitfleet.Core.Reconcile.ReconcileJson.Context.BranchTarget)
        ?? throw new InvalidDataException("A stored branch target is empty.");

    public Task<BranchRecord> SaveTargetAsync(NewBranchTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return WriteAsync((connection, transaction) => SaveTargetAsync(connection, transaction, target, cancellationToken), cancellationToken);
    }

    private static async Task<BranchRecord> SaveTargetAsync(DbConnection connection, DbTransaction transaction, NewBranchTarget target, CancellationToken cancellationToken)
    {
        await EnsureBranchAsync(connection, transaction, target.Branch, target.Now, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(Command(
            """
            UPDATE reconcile_branches SET target_generation = target_generation + 1, commit_sha = @Sha, commit_author = @Author,
                commit_subject = @Subject, commit_ms = @commitMs, content_hash = @ContentHash, target_digest = @Digest, applied_ms = @now,
                last_seen_commit = @lastSeen, errors_json = NULL, updated_ms = @now
            WHERE branch = @Branch
            """,
            new
            {
                target.Branch, target.Commit.Sha, target.Commit.Author, target.Commit.Subject, commitMs = Ms(target.Commit.Timestamp),
                target.ContentHash, target.Digest, now = Ms(target.Now), lastSeen = target.LastSeenCommit ?? target.Commit.Sha,
            }, transaction, cancellationToken)).ConfigureAwait(false);
        var branch = await GetBranchAsync(connection, transaction, target.Branch, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(Command(
            """
            INSERT INTO reconcile_targets (branch, generation, target_json) VALUES (@Branch, @generation, @Json)
            ON CONFLICT (branch) DO UPDATE SET generation = excluded.generation, target_json = excluded.target_json
            """, new { target.Branch, generation = branch.TargetGeneration, target.Target.Json }, transaction, cancellationToken)).ConfigureAwait(false);
        return branch;
    }

    public Task<BranchRecord> SaveObservationAsync(string branch, string? lastSeenCommit, IReadOnlyList<string> errors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return WriteAsync(async (connection, transaction) =>
        {
            await EnsureBranchAsync(connection, transaction, branch, now, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(Command(
                "UPDATE reconcile_branches SET last_seen_commit = @lastSeenCommit, errors_json = @errorsJson, updated_ms = @now WHERE branch = @branch",
                new { branch, lastSeenCommit, errorsJson = errors.Count == 0 ? null : JsonMaps.SerializeList(errors), now = Ms(now) },
                transaction, cancellationToken)).ConfigureAwait(false);
            return await GetBranchAsync(connection, transaction, branch, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<GoodTarget?> GetGoodTargetAsync(string branch, CancellationToken cancellationToken) =>
        (await QueryAsync<(long Generation, string CommitSha, string TargetJson)>(
            "SELECT generation, commit_sha, target_json FROM reconcile_good_targets WHERE branch = @branch", new { branch }, cancellationToken).ConfigureAwait(false))
            .Select(r => new GoodTarget(branch, r.Generation, r.CommitSha, ParseTarget(r.TargetJson))).FirstOrDefault();

    public Task SaveGoodTargetAsync(GoodTarget target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(Command(
            """
            INSERT INTO reconcile_good_targets (branch, generation, commit_sha, target_json, saved_ms) VALUES (@Branch, @Generation, @CommitSha, @Json, @now)
            ON CONFLICT (branch) DO UPDATE SET generation = excluded.generation, commit_sha = excluded.commit_sha, target_json = excluded.target_json,
                saved_ms = excluded.saved_ms
            """, new { target.Branch, target.Generation, target.CommitSha, Json = TargetJson(target.Target), now = Ms(now) }, transaction, cancellationToken)).ConfigureAwait(false),
            cancellationToken);
    }

    public Task<BranchRecord> SaveRevertTargetAsync(NewBranchTarget target, string revertedCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(Command(
                "UPDATE reconcile_branches SET reverted_commit = @revertedCommit WHERE branch = @Branch",
                new { target.Branch, revertedCommit }, transaction, cancellationToken)).ConfigureAwait(false);
            return await SaveTargetAsync(connection, transaction, target, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<RolloutDeviceRecord>> ListRolloutDevicesAsync(string branch, CancellationToken cancellationToken)
    {
        var result = new List<RolloutDeviceRecord>();
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT device_id, state, attempts, deployments, last_error, changed_ms FROM rollout_devices WHERE branch = @branch";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@branch";
        parameter.Value = branch;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var pool = new StringPool();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var deployments = reader.IsDBNull(3) ? [] : pool.Split(reader.GetString(3));
            result.Add(new RolloutDeviceRecord(
                reader.GetString(0),
                ParseState(reader.GetString(1)),
                reader.GetInt32(2),
                deployments,
                reader.IsDBNull(4) ? null : reader.GetString(4),
                FromMs(reader.GetInt64(5))));
        }

        return result;
    }

    public Task CommitRolloutAsync(RolloutCommit commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var bulk = commit.Devices.Count + commit.Deployments.Sum(d => d.Devices.Count) > 10_000;
        return WriteAsync(async (connection, transaction) =>
        {
            var now = Ms(commit.Now);
            var texts = new Dictionary<IReadOnlyDictionary<string, string>, string>(ReferenceEqualityComparer.Instance);
            string Text(IReadOnlyDictionary<string, string> map)
            {
                // A configuration shared by many devices is serialised once.
                if (!texts.TryGetValue(map, out var text))
                {
                    text = JsonMaps.Serialize(map);
                    texts[map] = text;
                }

                return text;
            }

            if (bulk)
            {
                await BulkWriteAsync(connection, transaction, starting: true, cancellationToken).ConfigureAwait(false);
            }

            await EnsureBranchAsync(connection, transaction, commit.Branch, commit.Now, cancellationToken).ConfigureAwait(false);
            await InsertDeploymentsAsync(connection, transaction, commit.Deployments, cancellationToken).ConfigureAwait(false);
            await BulkInsertAsync(connection, transaction, ConfiguredRows, commit.Configured,
                (c, v) => (v[0], v[1], v[2], v[3]) = (c.DeviceId, Json(Text(c.Configuration)), now, c.DeploymentId), cancellationToken).ConfigureAwait(false);
            await AbortPartsAsync(connection, transaction, commit.Aborts, commit.Now, cancellationToken).ConfigureAwait(false);
            if (commit.ReplaceDevices)
            {
                await connection.ExecuteAsync(Command("DELETE FROM rollout_devices WHERE branch = @Branch", new { commit.Branch }, transaction, cancellationToken)).ConfigureAwait(false);
            }

            await BulkInsertAsync(connection, transaction, RolloutDeviceRows, commit.Devices,
                (d, v) =>
                {
                    v[0] = commit.Branch;
                    v[1] = d.DeviceId;
                    v[2] = StateText(d.State);
                    v[3] = d.Attempts;
                    v[4] = d.Deployments.Count == 0 ? null : string.Join(',', d.Deployments);
                    v[5] = d.LastError;
                    v[6] = Ms(d.ChangedAt);
                }, cancellationToken).ConfigureAwait(false);
            var p = commit.Progress;
            await connection.ExecuteAsync(Command(
                """
                UPDATE reconcile_branches SET rollout_generation = @Generation, wave = @wave, wave_completed_ms = @waveCompleted, paused = @paused,
                    pause_reason = @reason, acknowledged_failures = @acknowledged, aborted = @aborted,
                    started_ms = @started, completed_ms = @completed, updated_ms = @now, bulk_completed_ms = @bulk, revert_requested = @revert,
                    acknowledged_wave = @acknowledgedWave, acknowledged_failed = @acknowledgedFailed, acknowledged_timed_out = @acknowledgedTimedOut,
                    acknowledged_rejected = @acknowledgedRejected
                WHERE branch = @Branch
                """,
                new
                {
                    commit.Branch, commit.Generation, wave = p.Wave, waveCompleted = OptionalMs(p.WaveCompletedAt), paused = p.Paused ? 1 : 0,
                    reason = p.PauseReason, acknowledged = p.AcknowledgedFailures, aborted = p.Aborted ? 1 : 0,
                    started = OptionalMs(commit.StartedAt), completed = OptionalMs(p.CompletedAt), now,
                    bulk = OptionalMs(p.BulkCompletedAt), revert = p.RevertRequested ? 1 : 0, acknowledgedWave = p.AcknowledgedWave,
                    acknowledgedFailed = p.AcknowledgedOutcomes?.Failed ?? 0, acknowledgedTimedOut = p.AcknowledgedOutcomes?.TimedOut ?? 0,
                    acknowledgedRejected = p.AcknowledgedOutcomes?.Rejected ?? 0,
                }, transaction, cancellationToken)).ConfigureAwait(false);
            if (bulk)
            {
                await BulkWriteAsync(connection, transaction, starting: false, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, bulk ? BulkFinishedAsync : null, cancellationToken);
    }

    public async Task<IReadOnlyList<DevicePartOutcome>> GetDevicePartsAsync(IReadOnlyCollection<DevicePart> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var result = new List<DevicePartOutcome>(parts.Count);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var group in parts.GroupBy(p => p.DeploymentId, StringComparer.Ordinal))
        {
            foreach (var batch in Batches(group.Select(p => p.DeviceId)))
            {
                var rows = await connection.QueryAsync<(string Id, string DeploymentId, string DeviceId, string Status, long HasLog, string Kind, string ArtifactName)>(Command(
                    $"""
                    SELECT dd.id, dd.deployment_id, dd.device_id, dd.status, dd.has_log, d.kind, d.artifact_name
                    FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id
                    WHERE dd.deployment_id = @deploymentId AND dd.device_id {InList("@batch")}
                    """,
                    new { deploymentId = group.Key, batch }, null, cancellationToken)).ConfigureAwait(false);
                result.AddRange(rows.Select(r => new DevicePartOutcome(r.DeploymentId, r.DeviceId, r.Id, StatusNames.StoredDeviceDeployment(r.Status), r.HasLog != 0, r.Kind, r.ArtifactName)));
            }
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DeploymentLogMessage>>> GetLogsAsync(IReadOnlyCollection<string> deviceDeploymentIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceDeploymentIds);
        var logs = new Dictionary<string, IReadOnlyList<DeploymentLogMessage>>(StringComparer.Ordinal);
        foreach (var batch in Batches(deviceDeploymentIds))
        {
            foreach (var (id, json) in await QueryAsync<(string Id, string Json)>(
                $"SELECT device_deployment_id, messages_json FROM deployment_logs WHERE device_deployment_id {InList("@batch")}", new { batch }, cancellationToken).ConfigureAwait(false))
            {
                logs[id] = JsonMaps.DeserializeLog(json);
            }
        }

        return logs;
    }

    /// <summary>Inserts deployments and their device rows in order (FIFO per device follows the order given).</summary>
    private async Task InsertDeploymentsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NewDeployment> deployments, CancellationToken cancellationToken)
    {
        if (deployments.Count == 0)
        {
            return;
        }

        var seq = await connection.ExecuteScalarAsync<long>(Command("SELECT COALESCE(MAX(seq), 0) FROM deployments", null, transaction, cancellationToken)).ConfigureAwait(false);
        var sequenced = deployments.Select(d => (New: d, Seq: ++seq)).ToList();
        await BulkAsync(connection, transaction,
            $"""
            INSERT INTO deployments ({DeploymentColumns}) VALUES (@id, @name, @artifact, @kind, 'pending', @created, NULL, @count, @retries, NULL,
                @branch, @commit, @author, @subject, NULL, @artifactId, @configuration, @checksum, @seq, @secretKeys)
            """,
            ["id", "name", "artifact", "kind", "created", "count", "retries", "branch", "commit", "author", "subject", "artifactId", "configuration", "checksum", "seq", "secretKeys"],
            sequenced,
            (s, v) =>
            {
                var d = s.New.Deployment;
                (v[0], v[1], v[2], v[3], v[4], v[5], v[6]) = (d.Id, d.Name, d.ArtifactName, d.Kind, Ms(d.CreatedAt), d.DeviceCount, d.Retries);
                (v[7], v[8], v[9], v[10]) = (d.Trace?.Branch, d.Trace?.Commit, d.Trace?.Author, d.Trace?.Subject);
                (v[11], v[12], v[13], v[14]) = (d.ArtifactId, Json(d.Configuration is null ? null : JsonMaps.Serialize(d.Configuration)), d.ConfigurationChecksum, s.Seq);
                v[15] = d.SecretKeys is null ? null : JsonMaps.SerializeList(d.SecretKeys);
            }, cancellationToken).ConfigureAwait(false);
        await BulkInsertAsync(connection, transaction, NewDeviceDeploymentRows, InDeviceOrder(sequenced.SelectMany(s => s.New.Devices.Select(row => (Row: row, s.Seq))).ToList(), deployments.Count),
            (r, v) =>
            {
                (v[0], v[1], v[2], v[3], v[4], v[5], v[6]) = (r.Row.Id, r.Row.DeploymentId, r.Row.DeviceId, StatusNames.Of(DeviceDeploymentState.Pending), 0, Ms(r.Row.CreatedAt), Ms(r.Row.CreatedAt));
                (v[7], v[8], v[9], v[10], v[11]) = (0, r.Row.DeviceType, r.Row.ArtifactId, 0, r.Seq);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A decision's device rows in device order, each device's rows in the order given (a stable sort; their seq, not
    /// the order written, is a device's FIFO). Written deployment by deployment, the rows of many small deployments
    /// (a configuration per site or per device, re-sent with an OS update) land all over the device-keyed indexes and
    /// the ids (made in device order); in device order every index but the deployment-keyed ones grows at its end.
    /// Measured with the sqlite3 shell on the 200,000-device store of bench/reconcile.sh (51,620 configuration
    /// deployments): 2.4 s of CPU for those rows instead of 5.3 s (docs/benchmarks.md, "where the change's reconcile goes").
    /// </summary>
    private static List<(DeviceDeploymentRecord Row, long Seq)> InDeviceOrder(List<(DeviceDeploymentRecord Row, long Seq)> rows, int deployments) =>
        deployments < 2 ? rows : [.. rows.OrderBy(r => r.Row.DeviceId, StringComparer.Ordinal)];

    private static readonly BulkTable ConfiguredRows = new(
        "configurations", ["device_id", "configured_json", "configured_ms", "deployment_id"], ["device_id"], ["configured_json", "configured_ms", "deployment_id"]);

    private static readonly BulkTable RolloutDeviceRows = new(
        "rollout_devices", ["branch", "device_id", "state", "attempts", "deployments", "last_error", "changed_ms"], ["branch", "device_id"],
        ["state", "attempts", "deployments", "last_error", "changed_ms"]);

    /// <summary>A new deployment's device rows: pending, unfinished, no attempt, no log (the other columns stay NULL).</summary>
    private static readonly BulkTable NewDeviceDeploymentRows = new(
        "device_deployments", ["id", "deployment_id", "device_id", "status", "finished", "created_ms", "updated_ms", "attempts", "device_type", "artifact_id", "has_log", "seq"]);

    /// <summary>Aborts single devices' parts of deployments (superseded or abandoned changes) and advances those deployments.</summary>
    private async Task AbortPartsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<DevicePart> parts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (parts.Count == 0)
        {
            return;
        }

        var ms = Ms(now);
        foreach (var deployment in parts.GroupBy(p => p.DeploymentId, StringComparer.Ordinal))
        {
            foreach (var batch in Batches(deployment.Select(p => p.DeviceId)))
            {
                await connection.ExecuteAsync(Command(
                    $"""
                    UPDATE device_deployments SET status = @aborted, finished = 1, finished_ms = @ms, updated_ms = @ms
                    WHERE deployment_id = @deploymentId AND device_id {InList("@batch")} AND finished = 0
                    """, new { aborted = StatusNames.Of(DeviceDeploymentState.Aborted), ms, deploymentId = deployment.Key, batch }, transaction, cancellationToken)).ConfigureAwait(false);
            }
        }

        foreach (var deploymentId in parts.Select(p => p.DeploymentId).Distinct(StringComparer.Ordinal))
        {
            await AdvanceDeploymentStatusAsync(connection, transaction, deploymentId, now, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task EnsureBranchAsync(DbConnection connection, DbTransaction transaction, string branch, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(Command(
            """
            INSERT INTO reconcile_branches (branch, target_generation, rollout_generation, wave, paused, acknowledged_failures, aborted, updated_ms)
            VALUES (@branch, 0, 0, 0, 0, 0, 0, @now)
            ON CONFLICT (branch) DO NOTHING
            """, new { branch, now = Ms(now) }, transaction, cancellationToken));

    private static async Task<BranchRecord> GetBranchAsync(DbConnection connection, DbTransaction transaction, string branch, CancellationToken cancellationToken) =>
        ToBranch(await connection.QuerySingleAsync<BranchRow>(Command(
            $"SELECT {BranchColumns} FROM reconcile_branches WHERE branch = @branch", new { branch }, transaction, cancellationToken)).ConfigureAwait(false));

    private static long? OptionalMs(DateTimeOffset? time) => time is { } value ? Ms(value) : null;

    private static string StateText(RolloutDeviceState state) => state switch
    {
        RolloutDeviceState.Waiting => "waiting",
        RolloutDeviceState.Scheduled => "scheduled",
        RolloutDeviceState.Succeeded => "succeeded",
        RolloutDeviceState.Failed => "failed",
        _ => "aborted",
    };

    private static RolloutDeviceState ParseState(string text) => text switch
    {
        "waiting" => RolloutDeviceState.Waiting,
        "scheduled" => RolloutDeviceState.Scheduled,
        "succeeded" => RolloutDeviceState.Succeeded,
        "failed" => RolloutDeviceState.Failed,
        _ => RolloutDeviceState.Aborted,
    };

    private static BranchRecord ToBranch(BranchRow row) => new()
    {
        Branch = row.Branch,
        TargetGeneration = row.TargetGeneration,
        AppliedCommit = row.CommitSha is null ? null : new CommitInfo(row.CommitSha, row.CommitAuthor ?? "", row.CommitSubject ?? "", FromMs(row.CommitMs ?? 0)),
        ContentHash = row.ContentHash,
        TargetDigest = row.TargetDigest,
        AppliedAt = FromMs(row.AppliedMs),
        LastSeenCommit = row.LastSeenCommit,
        Errors = row.ErrorsJson is null ? [] : JsonMaps.DeserializeList(row.ErrorsJson),
        RolloutGeneration = row.RolloutGeneration,
        Progress = new RolloutProgress
        {
            Wave = (int)row.Wave,
            WaveCompletedAt = FromMs(row.WaveCompletedMs),
            Paused = row.Paused != 0,
            PauseReason = row.PauseReason,
            AcknowledgedFailures = (int)row.AcknowledgedFailures,
            Aborted = row.Aborted != 0,
            CompletedAt = FromMs(row.CompletedMs),
            BulkCompletedAt = FromMs(row.BulkCompletedMs),
            RevertRequested = row.RevertRequested != 0,
            AcknowledgedWave = (int)row.AcknowledgedWave,
            AcknowledgedOutcomes = row.AcknowledgedWave < 0 ? null
                : new WaveOutcomes(0, (int)row.AcknowledgedFailed, (int)row.AcknowledgedTimedOut, (int)row.AcknowledgedRejected),
        },
        RevertedCommit = row.RevertedCommit,
        StartedAt = FromMs(row.StartedMs),
        UpdatedAt = FromMs(row.UpdatedMs),
    };

    private sealed class BranchRow
    {
        public string Branch { get; set; } = "";
        public long TargetGeneration { get; set; }
        public string? CommitSha { get; set; }
        public string? CommitAuthor { get; set; }
        public string? CommitSubject { get; set; }
        public long? CommitMs { get; set; }
        public string? ContentHash { get; set; }
        public string? TargetDigest { get; set; }
        public long? AppliedMs { get; set; }
        public string? LastSeenCommit { get; set; }
        public string? ErrorsJson { get; set; }
        public long RolloutGeneration { get; set; }
        public long Wave { get; set; }
        public long? WaveCompletedMs { get; set; }
        public long Paused { get; set; }
        public string? PauseReason { get; set; }
        public long AcknowledgedFailures { get; set; }
        public long Aborted { get; set; }
        public long? StartedMs { get; set; }
        public long? CompletedMs { get; set; }
        public long UpdatedMs { get; set; }
        public long? BulkCompletedMs { get; set; }
        public long RevertRequested { get; set; }
        public long AcknowledgedWave { get; set; } = -1;
        public long AcknowledgedFailed { get; set; }
        public long AcknowledgedTimedOut { get; set; }
        public long AcknowledgedRejected { get; set; }
        public string? RevertedCommit { get; set; }
    }
}
