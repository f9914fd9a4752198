using System.Buffers;
using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Writing;

/// <summary>A payload file with the size and SHA-256 of its first read, which the manifest records.</summary>
internal sealed record HashedFile(ArtifactFileSource Source, long Size, string Checksum)
{
    private const int BufferSize = 128 * 1024;

    public static async Task<IReadOnlyList<HashedFile>> HashAllAsync(
        IReadOnlyList<ArtifactFileSource> sources, CancellationToken cancellationToken)
    {
        var hashed = new List<HashedFile>(sources.Count);
        foreach (var source in sources)
        {
            var (size, checksum) = await CopyAndHashAsync(source, destination: null, cancellationToken).ConfigureAwait(false);
            hashed.Add(new HashedFile(source, size, checksum));
        }

        return hashed;
    }

    /// <summary>
    /// Streams the file into <paramref name="destination"/> (or nowhere) and returns its size and SHA-256. The
    /// second read must match the first, or the artifact would carry a wrong checksum.
    /// </summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        var (size, checksum) = await CopyAndHashAsync(Source, destination, cancellationToken).ConfigureAwait(false);
        if (size != Size || checksum != Checksum)
        {
            throw new IOException($"payload file '{Source.Name}' changed while the artifact was being written");
        }
    }

    private static async Task<(long Size, string Checksum)> CopyAndHashAsync(
        ArtifactFileSource source, Stream? destination, CancellationToken cancellationToken)
    {
        var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                long size = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    size += read;
                    if (destination is not null)
                    {
                        await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                }

                return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
