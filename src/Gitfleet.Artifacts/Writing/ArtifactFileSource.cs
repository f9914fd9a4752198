namespace Gitfleet.Artifacts;

/// <summary>
/// A payload file for <see cref="ArtifactWriter"/>: its name inside the artifact and a way to read its content.
/// The writer reads each file twice (once for the manifest checksum, which precedes the data, once to compress
/// it), so a source must be re-openable and return the same bytes both times.
/// </summary>
public sealed class ArtifactFileSource
{
    private readonly Func<CancellationToken, ValueTask<Stream>> open;

    private ArtifactFileSource(string name, Func<CancellationToken, ValueTask<Stream>> open)
    {
        if (!PayloadFileNames.IsValid(name))
        {
            throw new ArgumentException($"payload file name '{name}' is not allowed: {PayloadFileNames.Rule}", nameof(name));
        }

        Name = name;
        this.open = open;
    }

    /// <summary>The file name inside the payload (letters, digits and '.,_-').</summary>
    public string Name { get; }

    public static ArtifactFileSource FromBytes(string name, ReadOnlyMemory<byte> content) =>
        new(name, _ => ValueTask.FromResult<Stream>(new ReadOnlyMemoryStream(content)));

    /// <summary>A file on disk; <paramref name="name"/> defaults to its file name.</summary>
    public static ArtifactFileSource FromFile(string path, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new ArtifactFileSource(
            name ?? Path.GetFileName(path),
            _ => ValueTask.FromResult<Stream>(new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan)));
    }

    /// <summary>Content from a stream factory, called twice; each call must return a fresh stream with the same bytes.</summary>
    public static ArtifactFileSource FromStream(string name, Func<CancellationToken, ValueTask<Stream>> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        return new ArtifactFileSource(name, open);
    }

    internal ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) => open(cancellationToken);

    /// <summary>A read-only, seekable view over memory without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> content) : Stream
    {
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => content.Length;

        public override long Position
        {
            get => position;
            set => position = (int)Math.Clamp(value, 0, content.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, content.Length - position);
            content.Span.Slice(position, count).CopyTo(buffer);
            position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                _ => content.Length + offset,
            };
            return position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
