namespace Gitfleet.Artifacts.Tests.Support;

/// <summary>A read-only stream of <paramref name="length"/> pseudo-random bytes (xorshift, fixed seed), produced on the fly.</summary>
internal sealed class GeneratedStream(long length, ulong seed = 0x9E3779B97F4A7C15) : Stream
{
    private ulong state = seed;
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - position) & ~7;
        if (count == 0 && position < length)
        {
            count = (int)Math.Min(buffer.Length, length - position);
        }

        for (var i = 0; i < count; i++)
        {
            if ((i & 7) == 0)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
            }

            buffer[i] = (byte)(state >> ((i & 7) * 8));
        }

        position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
