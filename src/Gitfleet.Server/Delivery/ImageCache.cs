using System.Collections.Concurrent;
using Gitfleet.Artifacts;
using Gitfleet.Server.Artifacts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The payload files of full artifacts (the image and the small files beside it, such as a health check), unpacked in
/// one pass per artifact into the artifact storage's cache and checked against the checksums the artifact's manifest
/// declares, for delta generation. Each file is written to a temp file and renamed, so a replica never reads half an
/// image. Entries unused for <see cref="Unused"/> are removed after each generation (they come back when needed).
/// </summary>
internal sealed class ImageCache(DeltaFiles files, ArtifactService artifacts, TimeProvider time)
{
    public static readonly TimeSpan Unused = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    /// <summary>The unpacked payload files of <paramref name="artifact"/> (file name → path), unpacking them first if needed.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetAsync(ArtifactRecord artifact, DeltaSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(source);
        var paths = source.Payload.Files.ToDictionary(f => f.Name, f => files.CachedFilePath(artifact.Id, f.Name), StringComparer.Ordinal);
        var gate = locks.GetOrAdd(artifact.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (source.Payload.Files.All(f => File.Exists(paths[f.Name]) && new FileInfo(paths[f.Name]).Length == f.Size))
            {
                foreach (var path in paths.Values)
                {
                    File.SetLastWriteTimeUtc(path, time.GetUtcNow().UtcDateTime);
                }

                return paths;
            }

            var temps = paths.ToDictionary(p => p.Key, p => DeltaFiles.TempFor(p.Value), StringComparer.Ordinal);
            var streams = new Dictionary<string, (string, Stream)>(StringComparer.Ordinal);
            try
            {
                foreach (var file in source.Payload.Files)
                {
                    streams[file.Name] = (file.Checksum, new FileStream(temps[file.Name], FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous));
                }

                await using (var input = new FileStream(artifacts.PathOf(artifact), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                {
                    await PayloadFileExtractor.ExtractAllAsync(input, 0, streams, cancellationToken).ConfigureAwait(false);
                }

                foreach (var (_, stream) in streams.Values)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                foreach (var (name, temp) in temps)
                {
                    File.Move(temp, paths[name], overwrite: true);
                }

                return paths;
            }
            finally
            {
                foreach (var (_, stream) in streams.Values)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                foreach (var temp in temps.Values)
                {
                    File.Delete(temp);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Removes cached files nobody used for <see cref="Unused"/> (and the leftovers of interrupted unpacking).</summary>
    public void Prune()
    {
        var cutoff = time.GetUtcNow().UtcDateTime - Unused;
        foreach (var file in new DirectoryInfo(files.ImagesDirectory).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                file.Delete();
            }
        }
    }
}
