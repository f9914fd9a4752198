using System.Buffers;

namespace Gitfleet.Artifacts.Tar;

/// <summary>Appends tar entries with in-memory content to a buffer (headers, small files, the end marker).</summary>
internal sealed class TarBuilder(IBufferWriter<byte> output)
{
    public TarBuilder AddFile(string name, ReadOnlySpan<byte> content)
    {
        AddFileHeader(name, content.Length);
        var span = output.GetSpan(content.Length + TarBlocks.BlockSize);
        content.CopyTo(span);
        var padding = TarBlocks.PaddingFor(content.Length);
        span.Slice(content.Length, padding).Clear();
        output.Advance(content.Length + padding);
        return this;
    }

    /// <summary>Writes only the header of a file whose content the caller streams afterwards.</summary>
    public TarBuilder AddFileHeader(string name, long size, bool forcePax = false)
    {
        var span = output.GetSpan(TarBlocks.HeaderLength(name, size, forcePax));
        output.Advance(TarBlocks.WriteFileHeader(span, name, size, forcePax));
        return this;
    }

    public void AddEnd()
    {
        var span = output.GetSpan(TarBlocks.EndOfArchiveSize);
        span[..TarBlocks.EndOfArchiveSize].Clear();
        output.Advance(TarBlocks.EndOfArchiveSize);
    }
}
