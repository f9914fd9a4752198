using System.Globalization;
using System.Text;

namespace Gitfleet.Artifacts.Tar;

/// <summary>
/// Writes tar headers the way Go's archive/tar does for mender-artifact: POSIX ustar regular-file headers with a
/// fixed mode, owner 0/0 and a fixed modification time, so equal input gives equal bytes. A name longer than
/// 100 bytes or a size of 8 GiB or more gets a PAX extended header in front. Writing the headers ourselves keeps
/// the output deterministic and the configuration-artifact path free of per-entry allocations.
/// </summary>
internal static class TarBlocks
{
    public const int BlockSize = 512;

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public const int EndOfArchiveSize = 2 * BlockSize;

    /// <summary>rw-r--r--, the mode written for every file.</summary>
    public const int FileMode = 0b110_100_100;

    private const long MaxUstarSize = (1L << 33) - 1; // 11 octal digits
    private const int NameFieldSize = 100;

    /// <summary>
    /// Bytes of header (PAX extended header, if needed, plus the ustar header) for a regular file
    /// <paramref name="name"/> of <paramref name="size"/> bytes. The caller writes them, the content, then
    /// <see cref="PaddingFor"/> zero bytes.
    /// </summary>
    public static int HeaderLength(string name, long size, bool forcePax = false) =>
        forcePax || NeedsPax(name, size) ? 2 * BlockSize + Align(PaxRecords(name, size, forcePax).Length) : BlockSize;

    /// <summary>
    /// Writes the header(s) for one regular file into <paramref name="destination"/>; returns the bytes written.
    /// <paramref name="forcePax"/> writes the size as a PAX record even when ustar could hold it, so a header
    /// reserved before the size is known keeps its length.
    /// </summary>
    public static int WriteFileHeader(Span<byte> destination, string name, long size, bool forcePax = false)
    {
        var written = 0;
        if (forcePax || NeedsPax(name, size))
        {
            var records = PaxRecords(name, size, forcePax);
            WriteUstar(destination[..BlockSize], "PaxHeaders/" + Truncate(name), records.Length, typeFlag: (byte)'x');
            destination.Slice(BlockSize, Align(records.Length)).Clear();
            records.CopyTo(destination[BlockSize..]);
            written = BlockSize + Align(records.Length);
            WriteUstar(destination.Slice(written, BlockSize), Truncate(name), size > MaxUstarSize ? 0 : size, typeFlag: (byte)'0');
        }
        else
        {
            WriteUstar(destination[..BlockSize], name, size, typeFlag: (byte)'0');
        }

        return written + BlockSize;
    }

    /// <summary>Zero bytes that follow <paramref name="size"/> bytes of content to fill the last block.</summary>
    public static int PaddingFor(long size) => (int)((BlockSize - (size % BlockSize)) % BlockSize);

    private static int Align(int length) => (length + BlockSize - 1) / BlockSize * BlockSize;

    private static bool NeedsPax(string name, long size) =>
        size > MaxUstarSize || Encoding.UTF8.GetByteCount(name) > NameFieldSize || !Ascii.IsValid(name);

    private static string Truncate(string name)
    {
        var ascii = new string(name.Select(c => c < 0x80 ? c : '_').ToArray());
        return ascii.Length > NameFieldSize - 12 ? ascii[..(NameFieldSize - 12)] : ascii;
    }

    private static byte[] PaxRecords(string name, long size, bool forceSize)
    {
        var builder = new StringBuilder();
        if (Encoding.UTF8.GetByteCount(name) > NameFieldSize || !Ascii.IsValid(name))
        {
            builder.Append(PaxRecord("path", name));
        }

        if (forceSize || size > MaxUstarSize)
        {
            // Fixed width (20 digits) so that a reserved header and the final one have the same length.
            builder.Append(PaxRecord("size", size.ToString("D20", CultureInfo.InvariantCulture)));
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>One "LEN key=value\n" record, where LEN counts the whole record including its own digits.</summary>
    private static string PaxRecord(string key, string value)
    {
        var body = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 3; // ' ', '=', '\n'
        var length = body + body.ToString(CultureInfo.InvariantCulture).Length;
        if (length.ToString(CultureInfo.InvariantCulture).Length != (length - body))
        {
            length++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{length} {key}={value}\n");
    }

    private static void WriteUstar(Span<byte> block, string name, long size, byte typeFlag)
    {
        block.Clear();
        Encoding.ASCII.GetBytes(name, block[..NameFieldSize]);
        WriteOctal(block.Slice(100, 8), FileMode);
        WriteOctal(block.Slice(108, 8), 0); // uid
        WriteOctal(block.Slice(116, 8), 0); // gid
        WriteOctal(block.Slice(124, 12), size);
        WriteOctal(block.Slice(136, 12), 0); // mtime: the epoch, as mender-artifact writes its own entries
        block[156] = typeFlag;
        "ustar\0"u8.CopyTo(block[257..]);
        "00"u8.CopyTo(block[263..]);
        WriteOctal(block.Slice(329, 8), 0); // devmajor
        WriteOctal(block.Slice(337, 8), 0); // devminor

        // The checksum is the byte sum with the checksum field read as spaces: 6 octal digits, NUL, space.
        block.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in block)
        {
            sum += b;
        }

        WriteOctal(block.Slice(148, 7), sum);
        block[155] = (byte)' ';
    }

    /// <summary>Zero-padded octal digits filling the field but its last byte, which is NUL.</summary>
    private static void WriteOctal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        field[digits] = 0;
    }
}
