using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitfleet.Artifacts;

namespace Gitfleet.Server.Artifacts.Interim;

/// <summary>
/// A small Mender artifact v3 reader and configuration-artifact writer, standing in for Gitfleet.Artifacts until
/// it is merged (delete this folder then). It checks the layout, the manifest checksums of version, header and
/// payload files, and reads header-info and type-info. It does not verify signatures: with verify keys
/// configured it refuses every artifact rather than accept one unverified.
/// </summary>
internal sealed class InterimArtifactInspector : IArtifactInspector
{
    public async Task<ArtifactInfo> ReadAsync(Stream artifact, IReadOnlyList<string> verifyKeysPem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verifyKeysPem);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var hashing = new HashingStream(artifact, whole);
        var manifest = new Dictionary<string, string>(StringComparer.Ordinal);
        var computed = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        List<string> deviceTypes = [];
        var provides = new Dictionary<string, string>(StringComparer.Ordinal);
        var depends = new Dictionary<string, string>(StringComparer.Ordinal);
        var clears = new List<string>();
        var payloadTypes = new List<string>();
        var payloadFiles = new List<List<ArtifactFile>>();
        var signed = false;
        var sawVersion = false;
        var sawHeader = false;
        try
        {
            using var reader = new TarReader(hashing);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                var data = entry.DataStream ?? Stream.Null;
                switch (entry.Name)
                {
                    case "version":
                        var version = await ReadAllAsync(data, cancellationToken).ConfigureAwait(false);
                        computed["version"] = Sha(version);
                        CheckVersion(version);
                        sawVersion = true;
                        break;
                    case "manifest":
                        foreach (var line in Encoding.UTF8.GetString(await ReadAllAsync(data, cancellationToken).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                        {
                            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                            if (parts.Length != 2)
                            {
                                throw new ArtifactFormatException($"manifest line '{line}' is not '<sha256>  <path>'");
                            }

                            manifest[parts[1]] = parts[0];
                        }

                        break;
                    case "manifest.sig":
                        signed = true;
                        break;
                    case var headerName when headerName.StartsWith("header.tar", StringComparison.Ordinal):
                        var header = await ReadAllAsync(data, cancellationToken).ConfigureAwait(false);
                        computed[headerName] = Sha(header);
                        (name, deviceTypes) = await ReadHeaderAsync(headerName, header, provides, depends, clears, payloadTypes, cancellationToken).ConfigureAwait(false);
                        sawHeader = true;
                        break;
                    case var dataName when dataName.StartsWith("data/", StringComparison.Ordinal):
                        payloadFiles.Add(await ReadPayloadAsync(dataName, data, computed, cancellationToken).ConfigureAwait(false));
                        break;
                    default:
                        throw new ArtifactFormatException($"unexpected entry '{entry.Name}' in the artifact");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new ArtifactFormatException($"the artifact is not a valid tar archive or is truncated ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new ArtifactFormatException("the artifact is truncated", e);
        }
        catch (FormatException e)
        {
            throw new ArtifactFormatException($"the artifact is malformed ({e.Message})", e);
        }

        if (!sawVersion || !sawHeader || manifest.Count == 0 || name is null)
        {
            throw new ArtifactFormatException("the artifact lacks a version, manifest or header: is it a Mender artifact (format 3)?");
        }

        foreach (var (path, sum) in computed)
        {
            if (!manifest.TryGetValue(path, out var listed))
            {
                throw new ArtifactFormatException($"'{path}' is not listed in the manifest");
            }

            if (!string.Equals(listed, sum, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArtifactFormatException($"checksum mismatch for '{path}': the manifest says {listed}, the content is {sum}");
            }
        }

        var missing = manifest.Keys.FirstOrDefault(k => !computed.ContainsKey(k));
        if (missing is not null)
        {
            throw new ArtifactFormatException($"'{missing}' is listed in the manifest but missing from the artifact (truncated?)");
        }

        if (verifyKeysPem.Count > 0)
        {
            throw new ArtifactFormatException(signed
                ? "artifact signatures cannot be verified by this build yet; remove the verify keys or wait for the artifact library"
                : "the artifact is not signed, and the server requires signed artifacts");
        }

        return new ArtifactInfo
        {
            Name = name,
            DeviceTypesCompatible = deviceTypes,
            Provides = provides,
            Depends = depends,
            ClearsProvides = clears,
            Payloads = payloadTypes.Select((type, i) => new ArtifactPayload(type, i < payloadFiles.Count ? payloadFiles[i] : [])).ToList(),
            Signed = signed,
            Size = hashing.Length,
            Checksum = Convert.ToHexStringLower(whole.GetHashAndReset()),
        };
    }

    public void WriteConfigurationArtifact(Stream output, string artifactName, IReadOnlyList<string> deviceTypes, IReadOnlyDictionary<string, string> configuration)
    {
        var version = """{"format":"mender","version":3}"""u8.ToArray();
        var headerInfo = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["payloads"] = new[] { new Dictionary<string, string> { ["type"] = "mender-configure" } },
            ["artifact_provides"] = new Dictionary<string, string> { ["artifact_name"] = artifactName },
            ["artifact_depends"] = new Dictionary<string, object> { ["device_type"] = deviceTypes },
        });
        var typeInfo = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["type"] = "mender-configure",
            ["artifact_provides"] = new Dictionary<string, string> { ["data-partition.mender-configure.version"] = artifactName },
            ["clears_artifact_provides"] = new[] { "data-partition.mender-configure.*" },
        });
        var metaData = JsonSerializer.SerializeToUtf8Bytes(configuration.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value));
        var header = GzipTar(("header-info", headerInfo), ("headers/0000/type-info", typeInfo), ("headers/0000/meta-data", metaData));
        var payload = GzipTar();
        var manifest = Encoding.UTF8.GetBytes($"{Sha(header)}  header.tar.gz\n{Sha(version)}  version\n");
        using var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        Add(writer, "version", version);
        Add(writer, "manifest", manifest);
        Add(writer, "header.tar.gz", header);
        Add(writer, "data/0000.tar.gz", payload);
    }

    private static async Task<(string Name, List<string> DeviceTypes)> ReadHeaderAsync(
        string entryName, byte[] header, Dictionary<string, string> provides, Dictionary<string, string> depends, List<string> clears,
        List<string> payloadTypes, CancellationToken cancellationToken)
    {
        await using var decompressed = Decompress(entryName, new MemoryStream(header));
        using var reader = new TarReader(decompressed);
        string? name = null;
        var deviceTypes = new List<string>();
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.DataStream is null)
            {
                continue;
            }

            var bytes = await ReadAllAsync(entry.DataStream, cancellationToken).ConfigureAwait(false);
            if (entry.Name == "header-info")
            {
                using var json = ParseJson(bytes, "header-info");
                var root = json.RootElement;
                if (root.TryGetProperty("payloads", out var payloads) && payloads.ValueKind == JsonValueKind.Array)
                {
                    payloadTypes.AddRange(payloads.EnumerateArray().Select(p => p.TryGetProperty("type", out var t) ? t.GetString() ?? "" : ""));
                }

                if (root.TryGetProperty("artifact_provides", out var p) && p.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in p.EnumerateObject())
                    {
                        provides[property.Name] = Text(property.Value);
                    }
                }

                if (root.TryGetProperty("artifact_depends", out var d) && d.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in d.EnumerateObject())
                    {
                        if (property.Name == "device_type")
                        {
                            deviceTypes.AddRange(property.Value.ValueKind == JsonValueKind.Array
                                ? property.Value.EnumerateArray().Select(v => v.GetString() ?? "")
                                : [Text(property.Value)]);
                        }
                        else
                        {
                            depends[property.Name] = Text(property.Value);
                        }
                    }
                }

                name = provides.GetValueOrDefault("artifact_name");
            }
            else if (entry.Name.EndsWith("/type-info", StringComparison.Ordinal))
            {
                using var json = ParseJson(bytes, entry.Name);
                var root = json.RootElement;
                if (root.TryGetProperty("artifact_provides", out var p) && p.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in p.EnumerateObject())
                    {
                        provides[property.Name] = Text(property.Value);
                    }
                }

                if (root.TryGetProperty("clears_artifact_provides", out var c) && c.ValueKind == JsonValueKind.Array)
                {
                    clears.AddRange(c.EnumerateArray().Select(v => v.GetString() ?? ""));
                }
            }
        }

        if (name is null || name.Length == 0)
        {
            throw new ArtifactFormatException("header-info has no artifact_provides.artifact_name");
        }

        if (deviceTypes.Count == 0)
        {
            throw new ArtifactFormatException("header-info has no artifact_depends.device_type");
        }

        provides.Remove("artifact_name");
        return (name, deviceTypes);
    }

    private static async Task<List<ArtifactFile>> ReadPayloadAsync(string entryName, Stream data, Dictionary<string, string> computed, CancellationToken cancellationToken)
    {
        var index = entryName["data/".Length..].Split('.')[0];
        var files = new List<ArtifactFile>();
        await using var decompressed = Decompress(entryName, data);
        using var reader = new TarReader(decompressed);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.DataStream is null)
            {
                continue;
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long size = 0;
            int read;
            while ((read = await entry.DataStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                size += read;
            }

            var sum = Convert.ToHexStringLower(hash.GetHashAndReset());
            computed[$"data/{index}/{entry.Name}"] = sum;
            files.Add(new ArtifactFile(entry.Name, size, sum));
        }

        return files;
    }

    private static Stream Decompress(string name, Stream data) =>
        name.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(data, CompressionMode.Decompress)
        : name.EndsWith(".tar", StringComparison.Ordinal) ? data
        : throw new ArtifactFormatException($"'{name}': only gzip-compressed or uncompressed payloads are supported by this build");

    private static void CheckVersion(byte[] version)
    {
        using var json = ParseJson(version, "version");
        if (!json.RootElement.TryGetProperty("version", out var v) || !v.TryGetInt32(out var number) || number != 3)
        {
            throw new ArtifactFormatException("only Mender artifact format version 3 is supported");
        }
    }

    private static JsonDocument ParseJson(byte[] bytes, string what)
    {
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new ArtifactFormatException($"{what} is not valid JSON: {e.Message}", e);
        }
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(Text)),
        _ => value.GetRawText(),
    };

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static byte[] GzipTar(params (string Name, byte[] Data)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            if (files.Length == 0)
            {
                // An empty tar is its end-of-archive marker: two zero blocks (TarWriter writes nothing at all).
                gzip.Write(new byte[1024]);
            }
            else
            {
                using var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true);
                foreach (var (name, data) in files)
                {
                    Add(tar, name, data);
                }
            }
        }

        return output.ToArray();
    }

    private static void Add(TarWriter writer, string name, byte[] data)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        writer.WriteEntry(entry);
    }

    /// <summary>Hashes and counts everything read through it.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        private long length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => length;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            hash.AppendData(buffer[..read]);
            length += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            hash.AppendData(buffer.Span[..read]);
            length += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
