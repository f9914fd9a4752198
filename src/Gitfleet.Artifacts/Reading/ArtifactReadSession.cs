using System.Formats.Tar;
using System.Runtime.ExceptionServices;
using Gitfleet.Artifacts.Compression;
using Gitfleet.Artifacts.Manifest;
using Gitfleet.Artifacts.Signing;

namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// One forward pass over an artifact's outer tar. Each entry is streamed: small files (version, manifests,
/// signature, JSON headers) are read into memory up to a limit, payload files only flow through SHA-256.
/// </summary>
internal sealed class ArtifactReadSession(ArtifactReaderOptions options, IReadOnlyList<VerificationKey> keys)
{
    private const int MaxVersionSize = 4096;
    private const int MaxSignatureSize = 64 * 1024;
    private const int TarBlockSize = 512;

    private readonly EntryOrder order = new();
    private readonly ManifestSet manifests = new();
    private readonly Dictionary<int, IReadOnlyList<ArtifactFile>> payloadFiles = [];
    private string? versionChecksum;
    private HeaderArchive? header;
    private bool signed;
    private bool signatureVerified;

    public async Task<ArtifactInfo> ReadAsync(Stream artifact, CancellationToken cancellationToken)
    {
        using var input = new HashingReadStream(artifact);
        var peeked = await PeekedReadStream.OpenAsync(input, cancellationToken).ConfigureAwait(false)
            ?? throw new ArtifactFormatException("the artifact is empty (0 bytes)");
        var tar = new TarReader(peeked, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            while (await NextEntryAsync(tar, input.BytesRead, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                if (!TarEntries.IsRegularFile(entry))
                {
                    throw new ArtifactFormatException(
                        $"entry '{entry.Name}' is a {entry.EntryType} entry; a Mender artifact holds only regular files");
                }

                order.RequireVersionFirst(entry.Name);
                var classified = OuterEntry.Classify(entry.Name);
                order.Accept(classified);
                RequireSignatureWhenConfigured(classified);
                await ReadEntryAsync(entry, classified, cancellationToken).ConfigureAwait(false);
            }
        }

        if (order.LastName is null)
        {
            throw new ArtifactFormatException("not a Mender artifact: the tar archive has no entries");
        }

        if (!await input.DrainAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new ArtifactFormatException("unexpected data after the end of the artifact's tar archive");
        }

        order.Complete();
        manifests.EnsureAllSeen();
        return ArtifactInfoAssembler.Assemble(
            header!, payloadFiles, signed, signatureVerified, input.BytesRead, input.FinishHex());
    }

    private async Task<TarEntry?> NextEntryAsync(TarReader tar, long bytesRead, CancellationToken cancellationToken)
    {
        try
        {
            return await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TarEntries.IsMalformedInput(e))
        {
            if (order.LastName is null && e is EndOfStreamException && bytesRead < TarBlockSize)
            {
                throw new ArtifactFormatException(
                    $"the upload ends after {bytesRead} bytes, inside the first tar header: it is truncated or not a Mender artifact", e);
            }

            if (order.LastName is null)
            {
                throw new ArtifactFormatException("not a Mender artifact: the upload is not a tar archive", e);
            }

            if (e is EndOfStreamException)
            {
                throw new ArtifactFormatException(
                    $"the artifact is truncated: it ends after '{order.LastName}' without the rest of the tar archive", e);
            }

            throw new ArtifactFormatException($"the artifact is corrupt: invalid tar header after '{order.LastName}' ({e.Message})", e);
        }
    }

    /// <summary>
    /// Processes one entry, then reads what is left of it, so that a truncated upload is reported as truncated and a
    /// header whose content fails to parse is reported by its checksum when the checksum is what is wrong.
    /// </summary>
    private async Task ReadEntryAsync(TarEntry entry, OuterEntry kind, CancellationToken cancellationToken)
    {
        using var content = new HashingReadStream(entry.DataStream ?? Stream.Null);
        ExceptionDispatchInfo? failure = null;
        try
        {
            await ProcessAsync(kind, content, entry.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArtifactFormatException || TarEntries.IsMalformedInput(e))
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }

        try
        {
            await content.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TarEntries.IsMalformedInput(e))
        {
            // The upload ended early; the length check below reports it.
        }

        if (content.BytesRead < entry.Length)
        {
            throw new ArtifactFormatException(
                $"the artifact is truncated: '{kind.Name}' ends after {content.BytesRead} of its {entry.Length} bytes");
        }

        var checksum = content.FinishHex();
        switch (kind.Kind)
        {
            case OuterEntryKind.Version:
                versionChecksum = checksum;
                break;
            case OuterEntryKind.Header or OuterEntryKind.HeaderAugment when manifests.Contains(kind.Name):
                manifests.Verify(kind.Name, checksum);
                break;
        }

        if (failure?.SourceException is ArtifactFormatException)
        {
            failure.Throw();
        }

        if (failure is not null)
        {
            throw new ArtifactFormatException($"'{kind.Name}' is corrupt: {failure.SourceException.Message}", failure.SourceException);
        }
    }

    private async Task ProcessAsync(OuterEntry kind, Stream content, long length, CancellationToken cancellationToken)
    {
        switch (kind.Kind)
        {
            case OuterEntryKind.Version:
                VersionFile.Validate(await ReadSmallAsync(content, length, MaxVersionSize, kind, cancellationToken).ConfigureAwait(false));
                break;
            case OuterEntryKind.Manifest:
                manifests.Add(ArtifactManifest.Parse(kind.Name, await ReadSmallAsync(content, length, options.MaxMetadataFileSize, kind, cancellationToken).ConfigureAwait(false)));
                manifests.Verify(OuterEntry.VersionName, versionChecksum!);
                break;
            case OuterEntryKind.ManifestSignature:
                signed = true;
                var signature = await ReadSmallAsync(content, length, MaxSignatureSize, kind, cancellationToken).ConfigureAwait(false);
                if (keys.Count > 0)
                {
                    ManifestSignature.Verify(signature, manifests.Main!.Raw, keys);
                    signatureVerified = true;
                }

                break;
            case OuterEntryKind.ManifestAugment:
                manifests.Add(ArtifactManifest.Parse(kind.Name, await ReadSmallAsync(content, length, options.MaxMetadataFileSize, kind, cancellationToken).ConfigureAwait(false)));
                break;
            case OuterEntryKind.Header:
                header = await ReadHeaderAsync(kind, content, length, augment: false, cancellationToken).ConfigureAwait(false);
                break;
            case OuterEntryKind.HeaderAugment:
                var augment = await ReadHeaderAsync(kind, content, length, augment: true, cancellationToken).ConfigureAwait(false);
                if (augment.PayloadTypes.Count > header!.PayloadTypes.Count)
                {
                    throw new ArtifactFormatException(
                        $"'{kind.Name}' lists {augment.PayloadTypes.Count} payloads but header-info lists {header.PayloadTypes.Count}");
                }

                break;
            case OuterEntryKind.Data:
                await ReadDataAsync(kind, content, length, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>With keys configured, nothing after the manifest may come before a manifest.sig.</summary>
    private void RequireSignatureWhenConfigured(OuterEntry kind)
    {
        if (keys.Count > 0 && !signed && kind.Kind > OuterEntryKind.ManifestSignature)
        {
            throw new ArtifactFormatException(
                $"the artifact is not signed (no 'manifest.sig' before '{kind.Name}'), but this server requires signed artifacts");
        }
    }

    private async Task<HeaderArchive> ReadHeaderAsync(
        OuterEntry kind, Stream content, long length, bool augment, CancellationToken cancellationToken)
    {
        PayloadCompressions.EnsureSupported(kind.Compression, kind.Name);
        if (!manifests.Contains(kind.Name))
        {
            throw new ArtifactFormatException($"no manifest has a checksum for '{kind.Name}'");
        }

        return await WithDecompressedAsync(content, length, kind.Compression, async decompressed =>
        {
            var limited = new LimitedReadStream(decompressed, options.MaxHeaderSize, $"'{kind.Name}'");
            await using (limited.ConfigureAwait(false))
            {
                var archive = await HeaderArchive.ReadAsync(limited, kind.Name, augment, options, cancellationToken).ConfigureAwait(false);
                await limited.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                return archive;
            }
        }).ConfigureAwait(false);
    }

    private async Task ReadDataAsync(OuterEntry kind, Stream content, long length, CancellationToken cancellationToken)
    {
        PayloadCompressions.EnsureSupported(kind.Compression, kind.Name);
        if (kind.PayloadIndex >= header!.PayloadTypes.Count)
        {
            throw new ArtifactFormatException(
                $"'{kind.Name}' has no matching payload: header-info lists {header.PayloadTypes.Count} payload(s)");
        }

        payloadFiles[kind.PayloadIndex] = await WithDecompressedAsync(content, length, kind.Compression, async decompressed =>
        {
            var files = await PayloadData.ReadAsync(decompressed, kind.PayloadIndex, kind.Name, manifests, cancellationToken)
                .ConfigureAwait(false);
            await decompressed.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            return files;
        }).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="body"/> on the decompressed content; the content stream itself stays open.</summary>
    private static async Task<T> WithDecompressedAsync<T>(
        Stream content, long length, PayloadCompression compression, Func<Stream, Task<T>> body)
    {
        var decompressed = PayloadCompressions.OpenReader(content, length, compression);
        try
        {
            return await body(decompressed).ConfigureAwait(false);
        }
        finally
        {
            if (!ReferenceEquals(decompressed, content))
            {
                await decompressed.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static Task<byte[]> ReadSmallAsync(Stream content, long length, int limit, OuterEntry kind, CancellationToken cancellationToken) =>
        TarEntries.ReadSmallAsync(content, length, limit, $"'{kind.Name}'", cancellationToken);
}
