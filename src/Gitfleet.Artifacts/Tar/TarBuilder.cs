using System.Buffers;

namespace Gitfleet.Artifacts.Tar;

/// <summary>Appends tar entries with in-memory content to a buffer (headers, small files, the end marker).</summary>
internal sealed class TarBuilder(IBufferWriter<byte> output)
{
    public TarBuilder AddFile(string name, ReadOnlySpan<byte> content)
    {
        var header = output.GetSpan(TarBlocks.HeaderLength(name, content.Length));
        output.Advance(TarBlocks.WriteFileHeader(header, name, content.Length));
        var span = output.GetSpan(content.Length + TarBlocks.BlockSize);
        content.CopyTo(span);
        var padding = TarBlocks.PaddingFor(content.Length);
        span.Slice(content.Length, padding).Clear();
        output.Advance(content.Length + padding);
        return this;
    }

    public void AddEnd()
    {
        var span = output.GetSpan(TarBlocks.EndOfArchiveSize);
        span[..TarBlocks.EndOfArchiveSize].Clear();
        output.Advance(TarBlocks.EndOfArchiveSize);
    }
}
