using System.Collections.Concurrent;
using Gitfleet.Artifacts;
using Gitfleet.Server.Artifacts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Delivery;

/// <summary>
/// The image files of full artifacts, unpacked once per artifact into the artifact storage's cache (checked against
/// the checksum the artifact's manifest declares), for delta generation. Written to a temp file and renamed, so a
/// replica never reads half an image.
/// </summary>
internal sealed class ImageCache(DeltaFiles files, ArtifactService artifacts)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    public async Task<string> GetAsync(ArtifactRecord artifact, DeltaSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(source);
        var path = files.ImagePath(artifact.Id);
        var gate = locks.GetOrAdd(artifact.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length == source.Image.Size)
            {
                return path;
            }

            var temp = DeltaFiles.TempFor(path);
            try
            {
                await using (var input = new FileStream(artifacts.PathOf(artifact), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                {
                    await PayloadFileExtractor.ExtractAsync(input, 0, source.Image.Name, source.Image.Checksum, output, cancellationToken).ConfigureAwait(false);
                }

                File.Move(temp, path, overwrite: true);
                return path;
            }
            finally
            {
                File.Delete(temp);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Drops an artifact's unpacked image (the artifact was deleted).</summary>
    public void Forget(string artifactId) => File.Delete(files.ImagePath(artifactId));
}
