using System.IO.Compression;
using Gitfleet.Artifacts.Tar;

namespace Gitfleet.Artifacts.Writing;

/// <summary>
/// Writes the outer entry data/0000.tar.gz: a gzip-compressed tar of the payload files. The outer tar header needs
/// the compressed size up front, so on a seekable output the header is reserved and patched afterwards; on a
/// non-seekable output the compressed payload is spooled first (in memory when small, else to a temporary file).
/// </summary>
internal static class PayloadArchiveWriter
{
    private const long MaxInMemorySpool = 4 * 1024 * 1024;
    private const long MaxUstarSize = (1L << 33) - 1;

    /// <summary>data/0000.tar.gz of a payload without files: a gzip-compressed empty tar (the end-of-archive blocks).</summary>
    public static byte[] EmptyArchive { get; } = HeaderArchiveBuilder.Gzip(new byte[TarBlocks.EndOfArchiveSize], CompressionLevel.Optimal);

    public static async Task WriteAsync(
        Stream output, IReadOnlyList<HashedFile> files, CompressionLevel level, CancellationToken cancellationToken)
    {
        const string Name = ArtifactPrologue.DataEntryName;
        var header = new byte[TarBlocks.HeaderLength(Name, 0, forcePax: true)];
        if (files.Count == 0)
        {
            await WriteHeaderAsync(output, header, EmptyArchive.Length, forcePax: false, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(EmptyArchive, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(output, EmptyArchive.Length, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A compressed size above 8 GiB needs a PAX size record; decide from an upper bound before compressing.
        var tarSize = files.Sum(f => TarBlocks.HeaderLength(f.Source.Name, f.Size) + f.Size + TarBlocks.PaddingFor(f.Size)) + TarBlocks.EndOfArchiveSize;
        var forcePax = tarSize + (tarSize / 16_000 * 5) + 4096 > MaxUstarSize;

        if (output.CanSeek)
        {
            var headerPosition = output.Position;
            var headerLength = TarBlocks.HeaderLength(Name, 0, forcePax);
            await output.WriteAsync(header.AsMemory(0, headerLength), cancellationToken).ConfigureAwait(false);
            var length = await CompressAsync(output, files, level, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(output, length, cancellationToken).ConfigureAwait(false);
            var end = output.Position;
            output.Position = headerPosition;
            await WriteHeaderAsync(output, header, length, forcePax, cancellationToken).ConfigureAwait(false);
            output.Position = end;
            return;
        }

        Stream spool = tarSize <= MaxInMemorySpool
            ? new MemoryStream()
            : new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool.ConfigureAwait(false))
        {
            var length = await CompressAsync(spool, files, level, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            await WriteHeaderAsync(output, header, length, forcePax, cancellationToken).ConfigureAwait(false);
            await spool.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(output, length, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<long> CompressAsync(
        Stream destination, IReadOnlyList<HashedFile> files, CompressionLevel level, CancellationToken cancellationToken)
    {
        var counting = new CountingWriteStream(destination);
        await using (counting.ConfigureAwait(false))
        {
            var gzip = new GZipStream(counting, level, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                foreach (var file in files)
                {
                    var header = new byte[TarBlocks.HeaderLength(file.Source.Name, file.Size)];
                    TarBlocks.WriteFileHeader(header, file.Source.Name, file.Size);
                    await gzip.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                    await file.CopyToAsync(gzip, cancellationToken).ConfigureAwait(false);
                    await WritePaddingAsync(gzip, file.Size, cancellationToken).ConfigureAwait(false);
                }

                await gzip.WriteAsync(new byte[TarBlocks.EndOfArchiveSize], cancellationToken).ConfigureAwait(false);
            }

            return counting.BytesWritten;
        }
    }

    private static async Task WriteHeaderAsync(Stream output, byte[] buffer, long size, bool forcePax, CancellationToken cancellationToken)
    {
        var length = TarBlocks.WriteFileHeader(buffer, ArtifactPrologue.DataEntryName, size, forcePax);
        await output.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    private static async Task WritePaddingAsync(Stream output, long size, CancellationToken cancellationToken)
    {
        var padding = TarBlocks.PaddingFor(size);
        if (padding > 0)
        {
            await output.WriteAsync(new byte[padding], cancellationToken).ConfigureAwait(false);
        }
    }
}
