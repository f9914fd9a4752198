using System.Security.Cryptography;
using System.Text.Json;
using Gitfleet.Artifacts;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Artifacts;

/// <summary>Artifact files in the data dir and their records: upload (multipart, streamed to disk), generation, deletion.</summary>
internal sealed class ArtifactService(
    IFleetStore store, DataDirectory data, Delivery.DeltaFiles deltaFiles, Delivery.ImageArtifacts images, ServerOptions options, TimeProvider time,
    Storage.Cluster.IClusterStore? cluster = null)
{
    /// <summary>The longest description an artifact may have.</summary>
    public const int MaxDescriptionLength = 1024;

    private readonly Lazy<IReadOnlyList<string>> verifyKeys = new(() => options.ArtifactVerifyKeyPaths.Select(File.ReadAllText).ToList());

    /// <summary>
    /// Stores an uploaded artifact file (the API edge reads the multipart form and hands over the file's stream),
    /// verifies it and records it; nothing is kept when it is refused.
    /// </summary>
    public async Task<ArtifactRecord> UploadAsync(Stream file, string description, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(description);
        if (description.Length > MaxDescriptionLength)
        {
            throw DomainException.Invalid($"description is longer than {MaxDescriptionLength} characters");
        }

        var id = Guid.NewGuid().ToString();
        var fileName = id + ".mender";
        var path = data.ArtifactPath(fileName);
        try
        {
            await WriteFileAsync(file, path, cancellationToken).ConfigureAwait(false);
            var info = await InspectAsync(path, cancellationToken).ConfigureAwait(false);
            var record = ToRecord(id, fileName, description, info, generated: false);
            var conflict = await store.InsertArtifactAsync(record, cancellationToken).ConfigureAwait(false);
            if (conflict is not null)
            {
                throw DomainException.Conflict($"an artifact named '{info.Name}' for device type(s) {string.Join(", ", conflict.DeviceTypes.Intersect(info.DeviceTypesCompatible))} already exists (id {conflict.Id})");
            }

            await ArtifactsChangedAsync(id, cancellationToken).ConfigureAwait(false);
            return record;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public async Task<ArtifactRecord> GetOrCreateConfigurationArtifactAsync(string artifactName, string deviceType, IReadOnlyDictionary<string, string> configuration, CancellationToken cancellationToken)
    {
        var existing = await store.ListArtifactsAsync(artifactName, includeGenerated: true, cancellationToken).ConfigureAwait(false);
        if (existing.FirstOrDefault(a => a.Generated && a.DeviceTypes.Contains(deviceType, StringComparer.Ordinal)) is { } reusable)
        {
            return reusable;
        }

        var id = Guid.NewGuid().ToString();
        var fileName = id + ".mender";
        var path = data.ArtifactPath(fileName);
        try
        {
            await using (var file = File.Create(path))
            {
                ArtifactWriter.WriteConfigurationArtifact(file, artifactName, [deviceType], configuration);
            }

            var info = await InspectAsync(path, cancellationToken).ConfigureAwait(false);
            var record = ToRecord(id, fileName, "generated configuration artifact", info, generated: true);
            var conflict = await store.InsertArtifactAsync(record, cancellationToken).ConfigureAwait(false);
            if (conflict is not null)
            {
                File.Delete(path);
                return conflict;
            }

            return record;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var artifact = await store.GetArtifactAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"artifact {id} not found");
        switch (await store.DeleteArtifactAsync(id, cancellationToken).ConfigureAwait(false))
        {
            case ArtifactDeleteOutcome.NotFound:
                throw DomainException.NotFound($"artifact {id} not found");
            case ArtifactDeleteOutcome.InUse:
                throw DomainException.Conflict($"artifact {id} is used by an unfinished deployment");
            default:
                File.Delete(data.ArtifactPath(artifact.FileName));
                // Its deltas (as base or target) and its unpacked image go with it.
                foreach (var delta in await store.DeleteDeltasAsync(null, id, cancellationToken).ConfigureAwait(false))
                {
                    if (delta.FileName is { } deltaFile)
                    {
                        File.Delete(deltaFiles.DeltaPath(deltaFile));
                    }
                }

                deltaFiles.ForgetArtifact(id);
                await ArtifactsChangedAsync(id, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// Removes the generated configuration artifacts (records, then files) that no deployment can need again: each
    /// belongs to one configuration deployment, and one that finished more than a download link's lifetime ago
    /// has no device left to fetch it. A deployment of 200,000 devices with per-device templates generates tens of
    /// thousands of them, so without this the data directory only grows. Returns how many were removed.
    /// </summary>
    public async Task<int> RemoveSpentConfigurationArtifactsAsync(CancellationToken cancellationToken)
    {
        const int page = 500;
        var before = time.GetUtcNow() - options.DownloadLinkLifetime;
        var removed = 0;
        var kept = new List<string>();
        while (true)
        {
            var spent = await store.DeleteSpentGeneratedArtifactsAsync(before, page, cancellationToken).ConfigureAwait(false);
            foreach (var artifact in spent)
            {
                // The record is gone: a file that cannot be deleted now is named below (for an operator to remove), and
                // the sweep goes on with the others rather than leaving a whole page of files behind.
                var path = data.ArtifactPath(artifact.FileName);
                try
                {
                    File.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    kept.Add(path);
                }
            }

            removed += spent.Count;
            if (spent.Count < page)
            {
                break;
            }
        }

        if (kept.Count > 0)
        {
            throw new IOException(FormattableString.Invariant(
                $"{removed} spent generated artifacts were removed from the store, but {kept.Count} of their files could not be deleted: {string.Join(", ", kept.Take(5))}{(kept.Count > 5 ? ", …" : "")}"));
        }

        return removed;
    }

    /// <summary>Check-ins look up installed images in memory (<see cref="Delivery.ImageArtifacts"/>): here and on every replica, read again.</summary>
    private async Task ArtifactsChangedAsync(string id, CancellationToken cancellationToken)
    {
        images.Invalidate();
        if (cluster is not null)
        {
            await cluster.Changes.PublishAsync(Storage.Cluster.ChangeKinds.Artifact, id, cancellationToken).ConfigureAwait(false);
        }
    }

    public string PathOf(ArtifactRecord artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return data.ArtifactPath(artifact.FileName);
    }

    private async Task<ArtifactInfo> InspectAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            // The reader verifies every checksum (and the signature when keys are configured) and measures the
            // file's size and SHA-256 in the same pass.
            await using var file = File.OpenRead(path);
            return await ArtifactReader.ReadAsync(file, new ArtifactReaderOptions { VerificationKeys = verifyKeys.Value }, cancellationToken).ConfigureAwait(false);
        }
        catch (ArtifactFormatException e)
        {
            throw DomainException.Invalid("invalid artifact: " + e.Message);
        }
    }

    private ArtifactRecord ToRecord(string id, string fileName, string description, ArtifactInfo info, bool generated) => new()
    {
        Id = id,
        Name = info.Name,
        Description = description,
        DeviceTypes = info.DeviceTypesCompatible,
        Metadata = info,
        Size = info.Size,
        Checksum = info.Checksum,
        Signed = info.Signed,
        FileName = fileName,
        Generated = generated,
        CreatedAt = time.GetUtcNow(),
    };

    private async Task WriteFileAsync(Stream source, string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > options.MaxArtifactBytes)
            {
                throw DomainException.TooLarge($"the artifact exceeds the limit of {options.MaxArtifactBytes} bytes");
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }
}
