using System.Buffers;
using System.Formats.Tar;
using System.Security.Cryptography;
using Gitfleet.Artifacts.Manifest;

namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// Reads one uncompressed <c>data/NNNN.tar</c> stream: every file is streamed through SHA-256 (never held in
/// memory) and checked against the manifest entry <c>data/NNNN/&lt;name&gt;</c>.
/// </summary>
internal static class PayloadData
{
    private const int BufferSize = 128 * 1024;

    public static async Task<IReadOnlyList<ArtifactFile>> ReadAsync(
        Stream tar, int payloadIndex, string entryName, ManifestSet manifests, CancellationToken cancellationToken)
    {
        var files = new List<ArtifactFile>();
        var peeked = await PeekedReadStream.OpenAsync(tar, cancellationToken).ConfigureAwait(false);
        if (peeked is null)
        {
            return files;
        }

        var reader = new TarReader(peeked, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                    {
                        continue;
                    }

                    if (!TarEntries.IsRegularFile(entry))
                    {
                        throw new ArtifactFormatException(
                            $"'{entry.Name}' in '{entryName}' is a {entry.EntryType} entry; a payload holds only regular files");
                    }

                    if (!PayloadFileNames.IsValid(entry.Name))
                    {
                        throw new ArtifactFormatException(
                            $"payload file name '{entry.Name}' in '{entryName}' is not allowed: {PayloadFileNames.Rule}");
                    }

                    var path = $"data/{OuterEntry.PayloadDirectory(payloadIndex)}/{entry.Name}";
                    if (!manifests.Contains(path))
                    {
                        throw new ArtifactFormatException($"'{path}' is in the payload but no manifest lists it");
                    }

                    var (size, checksum) = await HashAsync(entry, buffer, cancellationToken).ConfigureAwait(false);
                    if (size != entry.Length)
                    {
                        throw new EndOfStreamException($"'{path}' ends after {size} of {entry.Length} bytes");
                    }

                    manifests.Verify(path, checksum);
                    files.Add(new ArtifactFile(entry.Name, size, checksum));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return files;
    }

    private static async Task<(long Size, string Checksum)> HashAsync(TarEntry entry, byte[] buffer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        if (entry.DataStream is { } data)
        {
            int read;
            while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                size += read;
            }
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
