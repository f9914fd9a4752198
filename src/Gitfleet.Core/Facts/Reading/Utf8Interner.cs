using System.Text;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Turns UTF-8 bytes into strings, one instance per distinct text: a facts document repeats the same keys,
/// statuses, device types, images and configuration values on every device, so most lookups hit and allocate
/// nothing (no transcoding either: the table is keyed by the bytes, and ASCII texts, nearly all of them, compare
/// with the string itself, so a new text costs one string, not a copy of its bytes too). Not thread-safe; one per
/// reader thread.
/// </summary>
internal sealed class Utf8Interner
{
    /// <summary>Longer texts are not worth keeping (and are rarely repeated).</summary>
    public const int MaxLength = 256;

    private Entry[] entries = new Entry[1024];
    private int count;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string Intern(ReadOnlySpan<byte> utf8) => Intern(utf8, out _);

    /// <param name="added">True when the text was not in the table (a new instance, unlike any earlier one).</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string Intern(ReadOnlySpan<byte> utf8, out bool added) => Intern(utf8, out added, out _);

    /// <param name="added">True when the text was not in the table (a new instance, unlike any earlier one).</param>
    /// <param name="hash">The text's <see cref="HashOf"/>: equal texts, equal hashes (maps of pooled strings hash by it).</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string Intern(ReadOnlySpan<byte> utf8, out bool added, out int hash)
    {
        added = true;
        hash = HashOf(utf8);
        if (utf8.Length > MaxLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var mask = entries.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var entry = ref entries[i];
            if (entry.Text is null)
            {
                var text = Encoding.UTF8.GetString(utf8);
                entry = new Entry(hash, Ascii.IsValid(utf8) ? null : utf8.ToArray(), text);
                if (++count * 2 > entries.Length)
                {
                    Grow();
                }

                return text;
            }

            if (entry.Hash == hash && (entry.Utf8 is null ? Ascii.Equals(utf8, entry.Text) : utf8.SequenceEqual(entry.Utf8)))
            {
                added = false;
                return entry.Text;
            }
        }
    }

    /// <summary>The pooled instance of a text that was not read as plain bytes (an escaped JSON string).</summary>
    public string Intern(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength / 4)
        {
            return text;
        }

        Span<byte> utf8 = stackalloc byte[MaxLength];
        var length = Encoding.UTF8.GetBytes(text, utf8);
        return Intern(utf8[..length]);
    }

    /// <summary>The hash of a text's UTF-8 bytes, as the table keeps it.</summary>
    public static int HashOf(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() & int.MaxValue;
    }

    private void Grow()
    {
        var old = entries;
        entries = new Entry[old.Length * 2];
        var mask = entries.Length - 1;
        foreach (var entry in old)
        {
            if (entry.Text is null)
            {
                continue;
            }

            var i = entry.Hash & mask;
            while (entries[i].Text is not null)
            {
                i = (i + 1) & mask;
            }

            entries[i] = entry;
        }
    }

    /// <summary>An entry; <paramref name="Utf8"/> is kept only when the text is not ASCII (ASCII compares with the string itself).</summary>
    private readonly record struct Entry(int Hash, byte[]? Utf8, string Text);
}
