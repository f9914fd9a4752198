using System.Formats.Tar;

namespace Gitfleet.Artifacts.Reading;

/// <summary>Helpers shared by the outer and inner tar readers.</summary>
internal static class TarEntries
{
    public static bool IsRegularFile(TarEntry entry) =>
        entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;

    /// <summary>Entries that carry no file and are skipped: PAX global headers and directories.</summary>
    public static bool IsSkippable(TarEntry entry) =>
        entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.Directory;

    /// <summary>Exceptions System.Formats.Tar and the decompressors throw for malformed or cut-off input.</summary>
    public static bool IsMalformedInput(Exception exception) =>
        exception is InvalidDataException or EndOfStreamException or FormatException or ArgumentException
            or OverflowException or IOException;

    /// <summary>
    /// Reads a small entry of <paramref name="length"/> bytes completely into memory, refusing entries above
    /// <paramref name="limit"/> before allocating.
    /// </summary>
    public static async Task<byte[]> ReadSmallAsync(
        Stream data, long length, int limit, string what, CancellationToken cancellationToken)
    {
        if (length > limit)
        {
            throw new ArtifactFormatException($"{what} is {length} bytes; this server accepts at most {limit}");
        }

        var content = new byte[length];
        await data.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
        return content;
    }
}
