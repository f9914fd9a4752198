using System.Formats.Tar;
using System.Text;
using Gitfleet.Artifacts.Json;

namespace Gitfleet.Artifacts.Reading;

/// <summary>The per-payload part of the header: <c>headers/NNNN/type-info</c> and optional <c>meta-data</c>.</summary>
internal sealed record PayloadHeader(TypeInfo TypeInfo, string? MetaData);

/// <summary>
/// The parsed content of <c>header.tar*</c> (or <c>header-augment.tar*</c>): header-info first, then optional
/// state scripts, then a type-info (and optional meta-data) per payload.
/// </summary>
internal sealed record HeaderArchive(
    HeaderInfo? Info,
    IReadOnlyList<string> PayloadTypes,
    IReadOnlyList<PayloadHeader> Payloads,
    IReadOnlyList<string> Scripts)
{
    private const string HeaderInfoName = "header-info";
    private const string ScriptsPrefix = "scripts/";
    private const string HeadersPrefix = "headers/";

    /// <summary>Reads the uncompressed header tar. <paramref name="entryName"/> names it in messages.</summary>
    public static async Task<HeaderArchive> ReadAsync(
        Stream tar, string entryName, bool augment, ArtifactReaderOptions options, CancellationToken cancellationToken)
    {
        var peeked = await PeekedReadStream.OpenAsync(tar, cancellationToken).ConfigureAwait(false)
            ?? throw new ArtifactFormatException($"'{entryName}' is empty: it has no 'header-info'");
        var reader = new TarReader(peeked, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            HeaderInfo? info = null;
            IReadOnlyList<string>? payloadTypes = null;
            var scripts = new List<string>();
            TypeInfo?[] typeInfos = [];
            string?[] metaData = [];
            var seenHeaderFiles = new HashSet<string>(StringComparer.Ordinal);

            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (TarEntries.IsSkippable(entry))
                {
                    continue;
                }

                var name = entry.Name;
                if (!TarEntries.IsRegularFile(entry))
                {
                    throw new ArtifactFormatException($"'{name}' in '{entryName}' is a {entry.EntryType} entry, not a regular file");
                }

                if (payloadTypes is null)
                {
                    if (name != HeaderInfoName)
                    {
                        throw new ArtifactFormatException(
                            $"the first file in '{entryName}' must be 'header-info', but it is '{name}'");
                    }

                    var json = await ReadJsonAsync(entry, entryName, name, options, cancellationToken).ConfigureAwait(false);
                    var file = $"{entryName}: header-info";
                    if (augment)
                    {
                        payloadTypes = HeaderInfo.ParseAugment(file, json);
                    }
                    else
                    {
                        info = HeaderInfo.Parse(file, json);
                        payloadTypes = info.PayloadTypes;
                    }

                    typeInfos = new TypeInfo?[payloadTypes.Count];
                    metaData = new string?[payloadTypes.Count];
                    continue;
                }

                if (name.StartsWith(ScriptsPrefix, StringComparison.Ordinal))
                {
                    if (augment)
                    {
                        throw new ArtifactFormatException($"'{entryName}' must not contain state scripts ('{name}')");
                    }

                    if (seenHeaderFiles.Count > 0)
                    {
                        throw new ArtifactFormatException(
                            $"'{name}' in '{entryName}' is out of order: state scripts must come before 'headers/'");
                    }

                    var script = name[ScriptsPrefix.Length..];
                    if (script.Length == 0 || script.Contains('/', StringComparison.Ordinal))
                    {
                        throw new ArtifactFormatException($"'{name}' in '{entryName}' is not a valid state script name");
                    }

                    scripts.Add(script);
                    continue;
                }

                var (index, fileName) = ParseHeaderPath(name, entryName, payloadTypes.Count);
                if (!seenHeaderFiles.Add(name))
                {
                    throw new ArtifactFormatException($"'{name}' appears twice in '{entryName}'");
                }

                var content = await ReadJsonAsync(entry, entryName, name, options, cancellationToken).ConfigureAwait(false);
                if (fileName == "type-info")
                {
                    typeInfos[index] = TypeInfo.Parse($"{entryName}: {name}", content);
                }
                else
                {
                    if (typeInfos[index] is null)
                    {
                        throw new ArtifactFormatException(
                            $"'{name}' in '{entryName}' is out of order: it must come after 'headers/{OuterEntry.PayloadDirectory(index)}/type-info'");
                    }

                    metaData[index] = ParseMetaData($"{entryName}: {name}", content);
                }
            }

            if (payloadTypes is null)
            {
                throw new ArtifactFormatException($"'{entryName}' is empty: it has no 'header-info'");
            }

            var payloads = new List<PayloadHeader>(payloadTypes.Count);
            for (var i = 0; i < payloadTypes.Count; i++)
            {
                var typeInfo = typeInfos[i] ?? throw new ArtifactFormatException(
                    $"'headers/{OuterEntry.PayloadDirectory(i)}/type-info' is missing from '{entryName}'");
                if (!augment && !string.IsNullOrEmpty(typeInfo.Type) && typeInfo.Type != payloadTypes[i])
                {
                    throw new ArtifactFormatException(
                        $"'headers/{OuterEntry.PayloadDirectory(i)}/type-info' says type '{typeInfo.Type}' but header-info says '{payloadTypes[i]}'");
                }

                payloads.Add(new PayloadHeader(typeInfo, metaData[i]));
            }

            return new HeaderArchive(info, payloadTypes, payloads, scripts);
        }
    }

    private static (int Index, string FileName) ParseHeaderPath(string name, string entryName, int payloadCount)
    {
        var slash = name.LastIndexOf('/');
        var fileName = slash < 0 ? "" : name[(slash + 1)..];
        var directory = slash < 0 ? name : name[..slash];
        if (fileName is not ("type-info" or "meta-data")
            || !OuterEntry.TryParsePayloadIndex(directory, HeadersPrefix, out var index))
        {
            throw new ArtifactFormatException(
                $"unexpected file '{name}' in '{entryName}'; expected header-info, scripts/*, headers/NNNN/type-info and headers/NNNN/meta-data");
        }

        if (index >= payloadCount)
        {
            throw new ArtifactFormatException(
                $"'{name}' in '{entryName}' belongs to payload {index}, but header-info lists {payloadCount} payload(s)");
        }

        return (index, fileName);
    }

    private static async Task<byte[]> ReadJsonAsync(
        TarEntry entry, string entryName, string name, ArtifactReaderOptions options, CancellationToken cancellationToken) =>
        await TarEntries.ReadSmallAsync(
                entry.DataStream ?? Stream.Null, entry.Length, options.MaxMetadataFileSize, $"'{name}' in '{entryName}'", cancellationToken)
            .ConfigureAwait(false);

    /// <summary>meta-data is empty (rootfs-image) or a JSON object; returned as its text, or null when empty.</summary>
    private static string? ParseMetaData(string file, byte[] content)
    {
        if (content.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            return null;
        }

        using var document = JsonFields.Parse(file, content);
        JsonFields.RequireObject(file, "", document.RootElement);
        return Encoding.UTF8.GetString(content);
    }
}
