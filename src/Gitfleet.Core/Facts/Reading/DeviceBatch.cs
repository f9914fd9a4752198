using System.Buffers;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>Where one device's JSON object is: in its batch, and in the document (for error messages).</summary>
/// <param name="Index">The device's position in the <c>devices</c> array.</param>
/// <param name="Line">The document's line (0-based) the object starts on.</param>
/// <param name="Column">The byte position (0-based) in that line.</param>
internal readonly record struct DeviceSegment(int Start, int Length, int Index, long DocumentOffset, long Line, long Column);

/// <summary>
/// The JSON objects of consecutive devices, copied out of the document into a pooled buffer so that a reader
/// thread can parse them while the next bytes arrive.
/// </summary>
internal sealed class DeviceBatch : IDisposable
{
    public const int TargetBytes = 256 * 1024;

    private byte[] buffer = ArrayPool<byte>.Shared.Rent(TargetBytes + 4096);

    public DeviceBatch(int number)
    {
        Number = number;
    }

    /// <summary>The batch's position among the document's batches.</summary>
    public int Number { get; }

    public int Length { get; private set; }

    /// <summary>The devices in the batch; sized for devices of about 1.5 KB, so the list rarely grows.</summary>
    public List<DeviceSegment> Segments { get; } = new(TargetBytes / 1536);

    public bool IsFull => Length >= TargetBytes;

    public ReadOnlySpan<byte> Bytes(DeviceSegment segment) => buffer.AsSpan(segment.Start, segment.Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, Length + bytes.Length));
            buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }

        bytes.CopyTo(buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
        Length = 0;
    }
}
