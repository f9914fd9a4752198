using System.Text;

namespace Gitfleet.Artifacts.Manifest;

/// <summary>
/// A parsed <c>manifest</c> (or <c>manifest-augment</c>): lines of "&lt;sha256 hex&gt;  &lt;name&gt;", the format of
/// sha256sum. Each listed file must be met exactly once while reading; <see cref="Unseen"/> names the rest.
/// </summary>
internal sealed class ArtifactManifest
{
    private const int ChecksumLength = 64;

    private readonly Dictionary<string, Entry> entries;

    private ArtifactManifest(string source, byte[] raw, Dictionary<string, Entry> entries)
    {
        Source = source;
        Raw = raw;
        this.entries = entries;
    }

    /// <summary>The entry name the manifest came from ("manifest" or "manifest-augment").</summary>
    public string Source { get; }

    /// <summary>The exact bytes, which manifest.sig signs.</summary>
    public byte[] Raw { get; }

    public static ArtifactManifest Parse(string source, byte[] raw)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            throw new ArtifactFormatException($"'{source}' is not UTF-8 text");
        }

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var separator = line.IndexOf("  ", StringComparison.Ordinal);
            if (separator != ChecksumLength || line.Length == separator + 2)
            {
                throw new ArtifactFormatException(
                    $"'{source}' line {lineNumber} is malformed: expected '<64 hex digits>  <file name>'");
            }

            var checksum = line[..separator];
            if (!IsLowercaseHex(checksum))
            {
                throw new ArtifactFormatException(
                    $"'{source}' line {lineNumber} has an invalid checksum: expected 64 lowercase hex digits");
            }

            var name = line[(separator + 2)..];
            if (!entries.TryAdd(name, new Entry(checksum)))
            {
                throw new ArtifactFormatException($"'{source}' lists '{name}' twice");
            }
        }

        if (entries.Count == 0)
        {
            throw new ArtifactFormatException($"'{source}' lists no files");
        }

        return new ArtifactManifest(source, raw, entries);
    }

    public bool Contains(string name) => entries.ContainsKey(name);

    /// <summary>
    /// Checks <paramref name="actualChecksum"/> against the listed one and marks the file as met. Throws when the
    /// file is not listed, was already met, or the checksum differs.
    /// </summary>
    public void Verify(string name, string actualChecksum)
    {
        if (!entries.TryGetValue(name, out var entry))
        {
            throw new ArtifactFormatException($"'{name}' is in the artifact but '{Source}' has no checksum for it");
        }

        if (entry.Seen)
        {
            throw new ArtifactFormatException($"'{name}' appears twice in the artifact");
        }

        entry.Seen = true;
        if (!string.Equals(entry.Checksum, actualChecksum, StringComparison.Ordinal))
        {
            throw new ArtifactFormatException(
                $"checksum mismatch for '{name}': '{Source}' says {entry.Checksum} but the content hashes to {actualChecksum}");
        }
    }

    /// <summary>Listed files not met while reading, in name order.</summary>
    public IEnumerable<string> Unseen() =>
        entries.Where(e => !e.Value.Seen).Select(e => e.Key).Order(StringComparer.Ordinal);

    private static bool IsLowercaseHex(string value) =>
        value.Length == ChecksumLength && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private sealed class Entry(string checksum)
    {
        public string Checksum { get; } = checksum;

        public bool Seen { get; set; }
    }
}
