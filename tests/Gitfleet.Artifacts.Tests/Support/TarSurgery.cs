using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>
/// Takes a (small) artifact apart into its tar entries and puts it back together, so that tests can damage it
/// in one precise way: change a header file, drop or duplicate an entry, reorder, rename. Uses System.Formats.Tar's
/// writer, not the production tar code.
/// </summary>
internal sealed class TarSurgery
{
    private readonly List<(string Name, byte[] Content)> entries;

    private TarSurgery(List<(string Name, byte[] Content)> entries) => this.entries = entries;

    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToList();

    public static TarSurgery Open(byte[] tar)
    {
        var entries = new List<(string, byte[])>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            entries.Add((entry.Name, content.ToArray()));
        }

        return new TarSurgery(entries);
    }

    public static TarSurgery OpenGzip(byte[] tarGz) => Open(Gunzip(tarGz));

    public byte[] Get(string name) => entries.Single(e => e.Name == name).Content;

    public string GetText(string name) => Encoding.UTF8.GetString(Get(name));

    public TarSurgery Set(string name, byte[] content)
    {
        var index = IndexOf(name);
        entries[index] = (name, content);
        return this;
    }

    public TarSurgery Set(string name, string content) => Set(name, Encoding.UTF8.GetBytes(content));

    public TarSurgery Remove(string name)
    {
        entries.RemoveAt(IndexOf(name));
        return this;
    }

    public TarSurgery Rename(string from, string to)
    {
        var index = IndexOf(from);
        entries[index] = (to, entries[index].Content);
        return this;
    }

    public TarSurgery Insert(int index, string name, byte[] content)
    {
        entries.Insert(index, (name, content));
        return this;
    }

    public TarSurgery Duplicate(string name) => Insert(IndexOf(name) + 1, name, Get(name));

    public TarSurgery Move(string name, int newIndex)
    {
        var entry = entries[IndexOf(name)];
        entries.Remove(entry);
        entries.Insert(newIndex, entry);
        return this;
    }

    /// <summary>Rewrites a gzip-compressed tar entry by editing its inner entries.</summary>
    public TarSurgery EditGzipTar(string name, Action<TarSurgery> edit)
    {
        var inner = OpenGzip(Get(name));
        edit(inner);
        return Set(name, Gzip(inner.ToBytes()));
    }

    /// <summary>Recomputes the manifest line of <paramref name="name"/> (optionally renamed) from its current content.</summary>
    public TarSurgery FixManifest(string name, string? listedAs = null)
    {
        var checksum = Convert.ToHexStringLower(SHA256.HashData(Get(name)));
        var lines = GetText("manifest").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.EndsWith("  " + (listedAs ?? name), StringComparison.Ordinal) ? $"{checksum}  {name}" : line);
        return Set("manifest", string.Join('\n', lines) + "\n");
    }

    public byte[] ToBytes()
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content),
                    ModificationTime = DateTimeOffset.UnixEpoch,
                };
                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }

        return output.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private int IndexOf(string name)
    {
        var index = entries.FindIndex(e => e.Name == name);
        return index >= 0 ? index : throw new ArgumentException($"no entry '{name}' in {string.Join(", ", Names)}");
    }
}
