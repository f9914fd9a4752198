using System.Formats.Tar;
using System.Security.Cryptography;
using Gitfleet.Artifacts.Compression;

namespace Gitfleet.Artifacts;

/// <summary>
/// Copies one payload file out of an artifact (the OS image of a full artifact, for delta generation), in one
/// forward pass with constant memory, and checks it against the checksum the artifact's manifest declared.
/// </summary>
public static class PayloadFileExtractor
{
    /// <summary>
    /// Writes file <paramref name="fileName"/> of payload <paramref name="payload"/> to <paramref name="destination"/>;
    /// throws <see cref="ArtifactFormatException"/> when it is missing or its SHA-256 is not <paramref name="expectedSha256"/>.
    /// Returns the number of bytes written.
    /// </summary>
    public static async Task<long> ExtractAsync(
        Stream artifact, int payload, string fileName, string expectedSha256, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(destination);
        var dataStem = $"data/{payload:D4}";
        var outer = new TarReader(artifact, leaveOpen: true);
        while (await outer.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (!PayloadCompressions.TryParseTarName(entry.Name, out var stem, out var compression) || stem != dataStem)
            {
                continue;
            }

            PayloadCompressions.EnsureSupported(compression, entry.Name);
            if (entry.DataStream is not { } data)
            {
                break;
            }

            var decompressed = PayloadCompressions.OpenReader(data, entry.Length, compression);
            var inner = new TarReader(decompressed, leaveOpen: true);
            while (await inner.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } file)
            {
                if (file.Name != fileName || file.DataStream is not { } content)
                {
                    continue;
                }

                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 20];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    total += read;
                }

                var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArtifactFormatException($"checksum mismatch for '{dataStem}/{fileName}': the manifest says {expectedSha256} but the content hashes to {actual}");
                }

                return total;
            }

            break;
        }

        throw new ArtifactFormatException($"the artifact has no file '{dataStem}/{fileName}'");
    }
}
