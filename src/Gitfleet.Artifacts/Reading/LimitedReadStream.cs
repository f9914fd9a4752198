namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// Passes reads through until <paramref name="limit"/> bytes, then throws an <see cref="ArtifactFormatException"/>
/// naming <paramref name="what"/>: a guard against decompression bombs in the header.
/// </summary>
internal sealed class LimitedReadStream(Stream inner, long limit, string what) : Stream
{
    private long total;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => total;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Account(inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Account(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Account(int read)
    {
        total += read;
        if (total > limit)
        {
            throw new ArtifactFormatException($"{what} is larger than this server accepts ({limit} bytes uncompressed)");
        }

        return read;
    }
}
