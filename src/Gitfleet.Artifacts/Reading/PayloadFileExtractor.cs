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
        ArgumentNullException.ThrowIfNull(destination);
        var written = await ExtractAllAsync(artifact, payload, new Dictionary<string, (string, Stream)> { [fileName] = (expectedSha256, destination) }, cancellationToken)
            .ConfigureAwait(false);
        return written[fileName];
    }

    /// <summary>
    /// Writes several files of one payload in a single pass (<paramref name="wanted"/>: file name → expected SHA-256 and
    /// destination); throws <see cref="ArtifactFormatException"/> when one is missing or does not match. Returns the bytes per file.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> ExtractAllAsync(
        Stream artifact, int payload, IReadOnlyDictionary<string, (string ExpectedSha256, Stream Destination)> wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(wanted);
        var dataStem = $"data/{payload:D4}";
        var written = new Dictionary<string, long>(StringComparer.Ordinal);
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

            var inner = new TarReader(PayloadCompressions.OpenReader(data, entry.Length, compression), leaveOpen: true);
            while (written.Count < wanted.Count && await inner.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } file)
            {
                if (wanted.TryGetValue(file.Name, out var target) && file.DataStream is { } content)
                {
                    written[file.Name] = await CopyCheckedAsync(content, target.Destination, target.ExpectedSha256, $"{dataStem}/{file.Name}", cancellationToken).ConfigureAwait(false);
                }
            }

            break;
        }

        if (wanted.Keys.FirstOrDefault(name => !written.ContainsKey(name)) is { } missing)
        {
            throw new ArtifactFormatException($"the artifact has no file '{dataStem}/{missing}'");
        }

        return written;
    }

    private static async Task<long> CopyCheckedAsync(Stream content, Stream destination, string expectedSha256, string what, CancellationToken cancellationToken)
    {
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
        return string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase)
            ? total
            : throw new ArtifactFormatException($"checksum mismatch for '{what}': the manifest says {expectedSha256} but the content hashes to {actual}");
    }
}
