namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// A forward-only stream whose first block has already been read (to tell an empty stream from a non-empty one
/// before handing it to <see cref="System.Formats.Tar.TarReader"/>, which throws on empty input). Replays that
/// block, then continues with the inner stream, which it leaves open.
/// </summary>
internal sealed class PeekedReadStream : ForwardReadStream
{
    private readonly Stream inner;
    private readonly byte[] head;
    private readonly int headLength;
    private int headPosition;

    private PeekedReadStream(Stream inner, byte[] head, int headLength)
    {
        this.inner = inner;
        this.head = head;
        this.headLength = headLength;
    }

    /// <summary>The stream positioned at its start, or null when it has no bytes at all.</summary>
    public static async Task<PeekedReadStream?> OpenAsync(Stream inner, CancellationToken cancellationToken)
    {
        var head = new byte[512];
        var length = await inner.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return length == 0 ? null : new PeekedReadStream(inner, head, length);
    }

    public override int Read(Span<byte> buffer)
    {
        if (headPosition < headLength)
        {
            return ReadHead(buffer);
        }

        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        headPosition < headLength ? ValueTask.FromResult(ReadHead(buffer.Span)) : inner.ReadAsync(buffer, cancellationToken);

    private int ReadHead(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, headLength - headPosition);
        head.AsSpan(headPosition, count).CopyTo(buffer);
        headPosition += count;
        return count;
    }
}
