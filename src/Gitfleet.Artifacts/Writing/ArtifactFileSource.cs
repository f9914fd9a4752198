using System.Runtime.InteropServices;

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

    /// <summary>Content in memory; array-backed memory is read in place, other memory is copied once.</summary>
    public static ArtifactFileSource FromBytes(string name, ReadOnlyMemory<byte> content)
    {
        var segment = MemoryMarshal.TryGetArray(content, out var array) ? array : new ArraySegment<byte>(content.ToArray());
        return new ArtifactFileSource(
            name, _ => ValueTask.FromResult<Stream>(new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)));
    }

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
}
