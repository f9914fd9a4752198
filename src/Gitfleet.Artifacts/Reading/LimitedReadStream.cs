namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// Passes reads through until <paramref name="limit"/> bytes, then throws an <see cref="ArtifactFormatException"/>
/// naming <paramref name="what"/>: a guard against decompression bombs in the header.
/// </summary>
internal sealed class LimitedReadStream(Stream inner, long limit, string what) : ForwardReadStream
{
    private long total;

    public override int Read(Span<byte> buffer) => Account(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Account(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

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
