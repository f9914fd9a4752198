using Dapper;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    private const string ArtifactColumns =
        "id, name, description, device_types_json, metadata_json, size, checksum, signed, file_name, generated, created_ms";

    public Task<ArtifactRecord?> InsertArtifactAsync(ArtifactRecord artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return WriteAsync(async (connection, transaction) =>
        {
            var sameName = await connection.QueryAsync<ArtifactRow>(Command(
                $"SELECT {ArtifactColumns} FROM artifacts WHERE name = @Name", new { artifact.Name }, transaction, cancellationToken)).ConfigureAwait(false);
            var conflict = sameName.Select(ToArtifact).FirstOrDefault(a => a.DeviceTypes.Intersect(artifact.DeviceTypes, StringComparer.Ordinal).Any());
            if (conflict is not null)
            {
                return conflict;
            }

            await connection.ExecuteAsync(Command(
                $"""
                INSERT INTO artifacts ({ArtifactColumns})
                VALUES (@Id, @Name, @Description, @deviceTypes, @MetadataJson, @Size, @Checksum, @signed, @FileName, @generated, @created)
                """,
                new
                {
                    artifact.Id,
                    artifact.Name,
                    artifact.Description,
                    deviceTypes = JsonMaps.SerializeList(artifact.DeviceTypes),
                    MetadataJson = Json(System.Text.Json.JsonSerializer.Serialize(artifact.Metadata)),
                    artifact.Size,
                    artifact.Checksum,
                    signed = artifact.Signed ? 1 : 0,
                    artifact.FileName,
                    generated = artifact.Generated ? 1 : 0,
                    created = Ms(artifact.CreatedAt),
                }, transaction, cancellationToken)).ConfigureAwait(false);
            return (ArtifactRecord?)null;
        }, cancellationToken);
    }

    public async Task<ArtifactRecord?> GetArtifactAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<ArtifactRow>($"SELECT {ArtifactColumns} FROM artifacts WHERE id = @id", new { id }, cancellationToken).ConfigureAwait(false))
            .Select(ToArtifact).FirstOrDefault();

    public async Task<IReadOnlyList<ArtifactRecord>> ListArtifactsAsync(string? name, bool includeGenerated, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (name is not null)
        {
            where.Add("name = @name");
        }

        if (!includeGenerated)
        {
            where.Add("generated = 0");
        }

        var sql = $"SELECT {ArtifactColumns} FROM artifacts {(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where))} ORDER BY created_ms, id";
        return (await QueryAsync<ArtifactRow>(sql, new { name }, cancellationToken).ConfigureAwait(false)).Select(ToArtifact).ToList();
    }

    public Task<ArtifactDeleteOutcome> DeleteArtifactAsync(string id, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var inUse = await connection.ExecuteScalarAsync<long>(Command(
                "SELECT COUNT(*) FROM device_deployments WHERE artifact_id = @id AND finished = 0", new { id }, transaction, cancellationToken)).ConfigureAwait(false);
            if (inUse > 0)
            {
                return ArtifactDeleteOutcome.InUse;
            }

            var deleted = await connection.ExecuteAsync(Command("DELETE FROM artifacts WHERE id = @id", new { id }, transaction, cancellationToken)).ConfigureAwait(false);
            return deleted == 0 ? ArtifactDeleteOutcome.NotFound : ArtifactDeleteOutcome.Deleted;
        }, cancellationToken);

    public Task<IReadOnlyList<ArtifactRecord>> DeleteSpentGeneratedArtifactsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return WriteAsync(async (connection, transaction) =>
        {
            // One transaction decides and deletes: a deployment that is unfinished (or finished since `before`) keeps
            // its artifact. A device fetches a generated artifact only while its deployment is unfinished, and a
            // download link outlives that by at most its lifetime, which the caller puts into `before`. The partial
            // index ix_artifacts_generated and ix_deployments_artifact_name make it a range scan and a probe per artifact.
            var spent = (await connection.QueryAsync<ArtifactRow>(Command(
                $"""
                SELECT {ArtifactColumns} FROM artifacts a
                WHERE a.generated = 1 AND a.created_ms < @before
                  AND NOT EXISTS (SELECT 1 FROM deployments d
                                  WHERE d.artifact_name = a.name AND (d.finished_ms IS NULL OR d.finished_ms >= @before))
                ORDER BY a.created_ms, a.id
                LIMIT @limit
                """, new { before = Ms(before), limit }, transaction, cancellationToken)).ConfigureAwait(false)).ToList();
            foreach (var row in spent)
            {
                await connection.ExecuteAsync(Command("DELETE FROM artifacts WHERE id = @Id", new { row.Id }, transaction, cancellationToken)).ConfigureAwait(false);
            }

            return (IReadOnlyList<ArtifactRecord>)spent.Select(ToArtifact).ToList();
        }, cancellationToken);
    }

    private static ArtifactRecord ToArtifact(ArtifactRow row) => new()
    {
        Id = row.Id,
        Name = row.Name,
        Description = row.Description,
        DeviceTypes = JsonMaps.DeserializeList(row.DeviceTypesJson),
        Metadata = System.Text.Json.JsonSerializer.Deserialize<Gitfleet.Artifacts.ArtifactInfo>(row.MetadataJson)!,
        Size = row.Size,
        Checksum = row.Checksum,
        Signed = row.Signed != 0,
        FileName = row.FileName,
        Generated = row.Generated != 0,
        CreatedAt = FromMs(row.CreatedMs),
    };

    private sealed class ArtifactRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Description { get; set; } = "";
        public string DeviceTypesJson { get; set; } = "[]";
        public string MetadataJson { get; set; } = "{}";
        public long Size { get; set; }
        public string? Checksum { get; set; }
        public long Signed { get; set; }
        public string FileName { get; set; } = "";
        public long Generated { get; set; }
        public long CreatedMs { get; set; }
    }
}
