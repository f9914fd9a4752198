using System.IO.Compression;

namespace Gitfleet.Artifacts.Compression;

/// <summary>How a <c>header.tar*</c> or <c>data/NNNN.tar*</c> entry is compressed, told by its file name suffix.</summary>
internal enum PayloadCompression
{
    None,
    Gzip,
    Xz,
    Zstd,
}

/// <summary>Suffixes, decompressors and the refusal message for compressions the BCL cannot read.</summary>
internal static class PayloadCompressions
{
    private const int InputBufferSize = 128 * 1024;

    /// <summary>
    /// Splits "header.tar.gz" into the stem "header" and the compression. Returns false when the name is not
    /// "&lt;stem&gt;.tar" followed by a known suffix.
    /// </summary>
    public static bool TryParseTarName(string name, out string stem, out PayloadCompression compression)
    {
        foreach (var (suffix, kind) in Suffixes)
        {
            var tail = ".tar" + suffix;
            if (name.EndsWith(tail, StringComparison.Ordinal) && name.Length > tail.Length)
            {
                stem = name[..^tail.Length];
                compression = kind;
                return true;
            }
        }

        stem = "";
        compression = PayloadCompression.None;
        return false;
    }

    /// <summary>Throws the "not supported by this server" error for xz and zstd.</summary>
    public static void EnsureSupported(PayloadCompression compression, string entryName)
    {
        var label = compression switch
        {
            PayloadCompression.Xz => "xz",
            PayloadCompression.Zstd => "zstd",
            _ => null,
        };
        if (label is not null)
        {
            throw new ArtifactFormatException(
                $"compression '{label}' ('{entryName}') is not supported by this server; write the artifact with "
                + "`mender-artifact write ... --compression gzip` (or --compression none)");
        }
    }

    /// <summary>
    /// A stream of the decompressed bytes; closing it leaves <paramref name="compressed"/> open. For
    /// <see cref="PayloadCompression.None"/> it is <paramref name="compressed"/> itself. gzip reads its input in
    /// small (8 KiB) chunks, so a buffer in between keeps the number of reads through the stream chain (and their
    /// per-call costs) low.
    /// </summary>
    public static Stream OpenReader(Stream compressed, long compressedLength, PayloadCompression compression) => compression switch
    {
        PayloadCompression.None => compressed,
        // The BufferedStream is left undisposed on purpose: disposing it would close the caller's stream.
        PayloadCompression.Gzip => new GZipStream(
            new BufferedStream(compressed, (int)Math.Clamp(compressedLength, 512, InputBufferSize)), CompressionMode.Decompress, leaveOpen: true),
        _ => throw new InvalidOperationException($"compression {compression} has no reader"),
    };

    private static readonly (string Suffix, PayloadCompression Kind)[] Suffixes =
    [
        (".gz", PayloadCompression.Gzip),
        (".xz", PayloadCompression.Xz),
        (".zst", PayloadCompression.Zstd),
        ("", PayloadCompression.None),
    ];
}
