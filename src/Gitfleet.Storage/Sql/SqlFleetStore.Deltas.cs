using System.Data.Common;
using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string DeltaColumns =
        """
        id, base_artifact_id, target_artifact_id, device_type, state, format, base_image, target_image, file_name, size, checksum,
        target_size, error, claimed_by, claimed_ms, finished_ms, generation_ms
        """;

    public Task<DeltaRecord?> GetDeltaAsync(DeltaKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ReadAsync(connection => FindDeltaAsync(connection, null, key, cancellationToken), cancellationToken);
    }

    public async Task<DeltaRecord?> GetDeltaByIdAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<DeltaRow>($"SELECT {DeltaColumns} FROM deltas WHERE id = @id", new { id }, cancellationToken).ConfigureAwait(false))
            .Select(ToDelta).FirstOrDefault();

    public async Task<IReadOnlyList<DeltaRecord>> ListDeltasAsync(CancellationToken cancellationToken) =>
        (await QueryAsync<DeltaRow>($"SELECT {DeltaColumns} FROM deltas ORDER BY claimed_ms DESC, id", null, cancellationToken).ConfigureAwait(false))
            .Select(ToDelta).ToList();

    public Task<DeltaClaim> ClaimDeltaAsync(DeltaRecord candidate, DateTimeOffset staleBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return WriteAsync(async (connection, transaction) =>
        {
            var inserted = await connection.ExecuteAsync(Command(
                $"""
                INSERT INTO deltas ({DeltaColumns})
                VALUES (@Id, @baseId, @targetId, @deviceType, @state, @Format, @BaseImage, @TargetImage, NULL, NULL, NULL,
                    @TargetSize, NULL, @ClaimedBy, @claimed, NULL, NULL)
                ON CONFLICT (base_artifact_id, target_artifact_id, device_type) DO NOTHING
                """,
                new
                {
                    candidate.Id, baseId = candidate.Key.BaseArtifactId, targetId = candidate.Key.TargetArtifactId, deviceType = candidate.Key.DeviceType,
                    state = nameof(DeltaState.Generating), candidate.Format, candidate.BaseImage, candidate.TargetImage, candidate.TargetSize,
                    candidate.ClaimedBy, claimed = Ms(candidate.ClaimedAt),
                }, transaction, cancellationToken)).ConfigureAwait(false);
            var row = (await FindDeltaAsync(connection, transaction, candidate.Key, cancellationToken).ConfigureAwait(false))!;
            if (inserted == 1)
            {
                return new DeltaClaim(true, row);
            }

            if (row.State == DeltaState.Generating && row.ClaimedAt < staleBefore)
            {
                await connection.ExecuteAsync(Command(
                    "UPDATE deltas SET claimed_by = @ClaimedBy, claimed_ms = @claimed WHERE id = @id",
                    new { candidate.ClaimedBy, claimed = Ms(candidate.ClaimedAt), id = row.Id }, transaction, cancellationToken)).ConfigureAwait(false);
                return new DeltaClaim(true, row with { ClaimedBy = candidate.ClaimedBy, ClaimedAt = candidate.ClaimedAt });
            }

            return new DeltaClaim(false, row);
        }, cancellationToken);
    }

    public Task<bool> FinishDeltaAsync(DeltaRecord finished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finished);
        return WriteAsync(async (connection, transaction) =>
        {
            var updated = await connection.ExecuteAsync(Command(
                """
                UPDATE deltas SET state = @state, file_name = @FileName, size = @Size, checksum = @Checksum, error = @Error,
                    finished_ms = @finished, generation_ms = @GenerationMs
                WHERE id = @Id AND state = @generating AND claimed_by = @ClaimedBy AND claimed_ms = @claimed
                """,
                new
                {
                    state = finished.State.ToString(), finished.FileName, finished.Size, finished.Checksum, finished.Error,
                    finished = finished.FinishedAt is { } at ? Ms(at) : (long?)null, finished.GenerationMs,
                    finished.Id, generating = nameof(DeltaState.Generating), finished.ClaimedBy, claimed = Ms(finished.ClaimedAt),
                }, transaction, cancellationToken)).ConfigureAwait(false);
            return updated == 1;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DeltaRecord>> DeleteDeltasAsync(string? id, string? artifactId, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            const string where = "(@id IS NOT NULL AND id = @id) OR (@artifactId IS NOT NULL AND (base_artifact_id = @artifactId OR target_artifact_id = @artifactId))";
            var rows = (await connection.QueryAsync<DeltaRow>(Command(
                $"SELECT {DeltaColumns} FROM deltas WHERE {where}", new { id, artifactId }, transaction, cancellationToken)).ConfigureAwait(false))
                .Select(ToDelta).ToList();
            await connection.ExecuteAsync(Command($"DELETE FROM deltas WHERE {where}", new { id, artifactId }, transaction, cancellationToken)).ConfigureAwait(false);
            return (IReadOnlyList<DeltaRecord>)rows;
        }, cancellationToken);

    public Task RecordDeltaOfferAsync(DeltaOfferRecord offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        return WriteAsync((connection, transaction) => connection.ExecuteAsync(Command(
            """
            INSERT INTO delta_offers (device_deployment_id, attempt, device_id, delta_id, offered_ms)
            VALUES (@DeviceDeploymentId, @Attempt, @DeviceId, @DeltaId, @offered)
            ON CONFLICT (device_deployment_id, attempt) DO NOTHING
            """,
            new { offer.DeviceDeploymentId, offer.Attempt, offer.DeviceId, offer.DeltaId, offered = Ms(offer.OfferedAt) }, transaction, cancellationToken)), cancellationToken);
    }

    public async Task<bool> DeltaFailedBeforeAsync(string deviceId, string deltaId, string deviceDeploymentId, int attempt, CancellationToken cancellationToken)
    {
        var count = (await QueryAsync<long>(
            """
            SELECT COUNT(*) FROM delta_offers o LEFT JOIN device_deployments d ON d.id = o.device_deployment_id
            WHERE o.device_id = @deviceId AND o.delta_id = @deltaId
              AND ((o.device_deployment_id = @deviceDeploymentId AND o.attempt < @attempt)
                   OR (o.device_deployment_id <> @deviceDeploymentId AND d.status = @failure))
            """,
            new { deviceId, deltaId, deviceDeploymentId, attempt, failure = StatusNames.Of(DeviceDeploymentState.Failure) }, cancellationToken).ConfigureAwait(false))[0];
        return count > 0;
    }

    private static async Task<DeltaRecord?> FindDeltaAsync(DbConnection connection, DbTransaction? transaction, DeltaKey key, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<DeltaRow>(Command(
            $"SELECT {DeltaColumns} FROM deltas WHERE base_artifact_id = @BaseArtifactId AND target_artifact_id = @TargetArtifactId AND device_type = @DeviceType",
            key, transaction, cancellationToken)).ConfigureAwait(false)).Select(ToDelta).FirstOrDefault();

    private static DeltaRecord ToDelta(DeltaRow row) => new()
    {
        Id = row.Id,
        Key = new DeltaKey(row.BaseArtifactId, row.TargetArtifactId, row.DeviceType),
        State = Enum.Parse<DeltaState>(row.State),
        Format = row.Format,
        BaseImage = row.BaseImage,
        TargetImage = row.TargetImage,
        FileName = row.FileName,
        Size = row.Size,
        Checksum = row.Checksum,
        TargetSize = row.TargetSize,
        Error = row.Error,
        ClaimedBy = row.ClaimedBy,
        ClaimedAt = FromMs(row.ClaimedMs),
        FinishedAt = FromMs(row.FinishedMs),
        GenerationMs = row.GenerationMs,
    };

    private sealed class DeltaRow
    {
        public string Id { get; set; } = "";
        public string BaseArtifactId { get; set; } = "";
        public string TargetArtifactId { get; set; } = "";
        public string DeviceType { get; set; } = "";
        public string State { get; set; } = "";
        public string Format { get; set; } = "";
        public string BaseImage { get; set; } = "";
        public string TargetImage { get; set; } = "";
        public string? FileName { get; set; }
        public long? Size { get; set; }
        public string? Checksum { get; set; }
        public long TargetSize { get; set; }
        public string? Error { get; set; }
        public string? ClaimedBy { get; set; }
        public long ClaimedMs { get; set; }
        public long? FinishedMs { get; set; }
        public long? GenerationMs { get; set; }
    }
}
