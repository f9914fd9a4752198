using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Splits a facts document, chunk by chunk as it arrives, into the objects of its top-level <c>devices</c> array
/// (copied into <see cref="DeviceBatch"/>es that reader threads parse) and everything else (the skeleton: schema,
/// generated_at, unknown properties and an empty <c>"devices":[]</c>), which is small and parsed at the end. It only
/// follows the nesting (strings, escapes and comments included) to find where each device ends; whether the JSON
/// is valid is for the parsers, except between devices, where this is the only reader.
/// </summary>
internal sealed class DeviceSplitter(Action<DeviceBatch> emit)
{
    private static readonly SearchValues<byte> Structural = SearchValues.Create("\"{}[]/"u8);
    private static readonly SearchValues<byte> StringEnd = SearchValues.Create("\"\\"u8);

    private readonly ArrayBufferWriter<byte> skeleton = new(4096);
    private readonly byte[] key = new byte[8];
    private DeviceBatch? batch;
    private int batches;
    private Mode mode;
    private Comment comment;
    private bool inString;
    private bool escaped;
    private int depth;
    private int deviceDepth;
    private int keyLength;
    private bool lastStringIsDevices;
    private bool devicesKey;
    private bool split;
    private bool afterDevice;

    // The current position in the document, and where the device being read started.
    private long offset;
    private long line;
    private long column;
    private long deviceOffset;
    private long deviceLine;
    private long deviceColumn;
    private int deviceStart;
    private int deviceBatchStart;
    private bool started;
    private int devices;

    private enum Mode
    {
        Outside,
        BetweenDevices,
        InDevice,
    }

    private enum Comment
    {
        None,
        Slash,
        Line,
        Block,
        BlockStar,
    }

    /// <summary>How many device objects were split off so far.</summary>
    public int Devices => devices;

    /// <summary>Where the devices were cut out of the skeleton (to give errors after them document positions).</summary>
    public SkeletonCut? Cut { get; private set; }

    public void Scan(ReadOnlySpan<byte> chunk)
    {
        var pos = 0;
        while (pos < chunk.Length)
        {
            pos = mode switch
            {
                Mode.Outside => ScanOutside(chunk, pos),
                Mode.BetweenDevices => ScanBetween(chunk, pos),
                _ => ScanDevice(chunk, pos),
            };
        }

        if (mode == Mode.InDevice)
        {
            AppendDevice(chunk[deviceStart..]);
            Advance(chunk[deviceStart..]);
            deviceStart = 0;
        }
    }

    /// <summary>The end of the document: emits the last batch and returns the skeleton.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        if (mode != Mode.Outside)
        {
            throw new FactsFormatException($"the facts document ends early, in devices[{devices}]");
        }

        EmitBatch();
        return skeleton.WrittenMemory;
    }

    private int ScanOutside(ReadOnlySpan<byte> chunk, int pos)
    {
        var start = pos;
        while (pos < chunk.Length)
        {
            var b = chunk[pos++];
            if (comment != Comment.None && FollowComment(b))
            {
                continue;
            }

            if (inString)
            {
                FollowStringOutside(b);
                continue;
            }

            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    keyLength = 0;
                    break;
                case (byte)':':
                    devicesKey = depth == 1 && lastStringIsDevices;
                    break;
                case (byte)'[' when depth == 1 && devicesKey && !split:
                    depth++;
                    Skeleton(chunk[start..pos]);
                    StartDevices();
                    return pos;
                case (byte)'{' or (byte)'[':
                    depth++;
                    devicesKey = false;
                    break;
                case (byte)'}' or (byte)']':
                    depth--;
                    devicesKey = false;
                    break;
                case (byte)'/':
                    comment = Comment.Slash;
                    break;
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    break;
                default:
                    devicesKey = false;
                    lastStringIsDevices = false;
                    break;
            }
        }

        Skeleton(chunk[start..pos]);
        return pos;
    }

    /// <summary>Strings outside the devices: remembers whether a string at the top level reads "devices".</summary>
    private void FollowStringOutside(byte b)
    {
        if (escaped)
        {
            escaped = false;
            keyLength = -1;
        }
        else if (b == (byte)'\\')
        {
            escaped = true;
            keyLength = -1;
        }
        else if (b == (byte)'"')
        {
            inString = false;
            lastStringIsDevices = depth == 1 && key.AsSpan(0, Math.Max(0, keyLength)).SequenceEqual("devices"u8);
        }
        else if (keyLength >= 0)
        {
            if (keyLength < key.Length)
            {
                key[keyLength++] = b;
            }
            else
            {
                keyLength = -1;
            }
        }
    }

    private void StartDevices()
    {
        split = true;
        mode = Mode.BetweenDevices;
        afterDevice = false;
        Cut = new SkeletonCut(skeleton.WrittenCount, line, column);
    }

    /// <summary>Between device objects: whitespace, comments, commas, and the closing bracket; nothing is kept.</summary>
    private int ScanBetween(ReadOnlySpan<byte> chunk, int pos)
    {
        var start = pos;
        try
        {
            while (pos < chunk.Length)
            {
                var b = chunk[pos];
                if (comment != Comment.None && FollowComment(b))
                {
                    pos++;
                    continue;
                }

                switch (b)
                {
                    case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                        pos++;
                        break;
                    case (byte)'/':
                        comment = Comment.Slash;
                        pos++;
                        break;
                    case (byte)',' when afterDevice:
                        afterDevice = false;
                        pos++;
                        break;
                    case (byte)']':
                        Advance(chunk[start..pos]);
                        start = pos;
                        Cut = Cut! with { ResumeOffset = offset, ResumeLine = line, ResumeColumn = column };
                        depth--;
                        mode = Mode.Outside;
                        return pos; // The bracket goes to the skeleton.
                    case (byte)'{' when !afterDevice:
                        Advance(chunk[start..pos]);
                        start = pos;
                        deviceOffset = offset;
                        deviceLine = line;
                        deviceColumn = column;
                        deviceStart = pos;
                        mode = Mode.InDevice;
                        deviceDepth = 0;
                        return pos;
                    default:
                        Advance(chunk[start..pos]);
                        start = pos;
                        throw Unexpected(b);
                }
            }
        }
        finally
        {
            Advance(chunk[start..pos]);
        }

        return pos;
    }

    private FactsFormatException Unexpected(byte b)
    {
        var what = b is >= 0x20 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:x2}";
        var message = afterDevice
            ? $"expected ',' or ']' after devices[{devices - 1}], found {what}"
            : b == (byte)','
                ? "expected a device object before ','"
                : $"devices[{devices}] must be an object";
        return new FactsFormatException($"line {line + 1}, position {column + 1}: {message}");
    }

    /// <summary>
    /// Inside a device object: follows strings and brackets until the object closes, 64 bytes at a time where the
    /// block has no escape and no comment (<see cref="Blocks"/>), one string or bracket at a time elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ScanDevice(ReadOnlySpan<byte> chunk, int pos)
    {
        while (pos < chunk.Length)
        {
            if (comment == Comment.None && !escaped && Vector256.IsHardwareAccelerated)
            {
                pos = Blocks(chunk, pos, out var ended);
                if (ended || pos >= chunk.Length)
                {
                    return pos;
                }
            }

            pos = Scalar(chunk, pos, Math.Min(chunk.Length, pos + 64), out var done);
            if (done)
            {
                return pos;
            }
        }

        return pos;
    }

    /// <summary>
    /// Whole 64-byte blocks without a backslash or a comment: bit masks of quotes and brackets, the inside of
    /// strings as the prefix XOR of the quotes, and the nesting from counts, walking brackets one by one only in
    /// the block where the object may close. Stops before a block it cannot do this way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Blocks(ReadOnlySpan<byte> chunk, int pos, out bool ended)
    {
        ended = false;
        ref var start = ref MemoryMarshal.GetReference(chunk);
        while (pos + 64 <= chunk.Length)
        {
            var low = Vector256.LoadUnsafe(ref start, (nuint)pos);
            var high = Vector256.LoadUnsafe(ref start, (nuint)pos + 32);
            if (Mask(low, high, (byte)'\\') != 0)
            {
                return pos;
            }

            var strings = PrefixXor(Mask(low, high, (byte)'"')) ^ (inString ? ulong.MaxValue : 0);
            if ((Mask(low, high, (byte)'/') & ~strings) != 0)
            {
                return pos;
            }

            var open = (Mask(low, high, (byte)'{') | Mask(low, high, (byte)'[')) & ~strings;
            var close = (Mask(low, high, (byte)'}') | Mask(low, high, (byte)']')) & ~strings;
            var closes = BitOperations.PopCount(close);
            if (deviceDepth - closes <= 0)
            {
                for (var brackets = open | close; brackets != 0; brackets &= brackets - 1)
                {
                    var bit = BitOperations.TrailingZeroCount(brackets);
                    if ((open >> bit & 1) != 0)
                    {
                        deviceDepth++;
                    }
                    else if (--deviceDepth == 0)
                    {
                        inString = false;
                        ended = true;
                        EndDevice(chunk, pos + bit + 1);
                        return pos + bit + 1;
                    }
                }
            }
            else
            {
                deviceDepth += BitOperations.PopCount(open) - closes;
            }

            inString = (long)strings < 0;
            pos += 64;
        }

        return pos;
    }

    private static ulong Mask(Vector256<byte> low, Vector256<byte> high, byte value) =>
        Vector256.Equals(low, Vector256.Create(value)).ExtractMostSignificantBits()
        | ((ulong)Vector256.Equals(high, Vector256.Create(value)).ExtractMostSignificantBits() << 32);

    /// <summary>Bit i of the result is the XOR of bits 0..i: set from an opening quote up to its closing one.</summary>
    private static ulong PrefixXor(ulong x)
    {
        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        return x;
    }

    /// <summary>One string or bracket at a time, up to <paramref name="limit"/>; true in <paramref name="ended"/> when the object closed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Scalar(ReadOnlySpan<byte> chunk, int pos, int limit, out bool ended)
    {
        ended = false;
        while (pos < limit)
        {
            if (comment != Comment.None && FollowComment(chunk[pos]))
            {
                pos++;
                continue;
            }

            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                    pos++;
                    continue;
                }

                var next = chunk[pos..limit].IndexOfAny(StringEnd);
                if (next < 0)
                {
                    return limit;
                }

                pos += next;
                if (chunk[pos++] == (byte)'\\')
                {
                    escaped = true;
                }
                else
                {
                    inString = false;
                }

                continue;
            }

            var structural = chunk[pos..limit].IndexOfAny(Structural);
            if (structural < 0)
            {
                return limit;
            }

            pos += structural;
            switch (chunk[pos++])
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    deviceDepth++;
                    break;
                case (byte)'/':
                    comment = Comment.Slash;
                    break;
                default:
                    if (--deviceDepth == 0)
                    {
                        ended = true;
                        EndDevice(chunk, pos);
                        return pos;
                    }

                    break;
            }
        }

        return pos;
    }

    private void EndDevice(ReadOnlySpan<byte> chunk, int end)
    {
        AppendDevice(chunk[deviceStart..end]);
        Advance(chunk[deviceStart..end]);
        batch!.Segments.Add(new DeviceSegment(deviceBatchStart, batch.Length - deviceBatchStart, devices, deviceOffset, deviceLine, deviceColumn));
        devices++;
        started = false;
        mode = Mode.BetweenDevices;
        afterDevice = true;
        if (batch.IsFull)
        {
            EmitBatch();
        }
    }

    private void AppendDevice(ReadOnlySpan<byte> bytes)
    {
        batch ??= new DeviceBatch(batches++);
        if (!started)
        {
            deviceBatchStart = batch.Length;
            started = true;
        }

        batch.Append(bytes);
    }

    /// <summary>Follows a comment; false when the byte after a '/' does not start one (it is read normally).</summary>
    private bool FollowComment(byte b)
    {
        switch (comment)
        {
            case Comment.Slash:
                comment = b switch
                {
                    (byte)'/' => Comment.Line,
                    (byte)'*' => Comment.Block,
                    _ => Comment.None,
                };
                return comment != Comment.None;
            case Comment.Line:
                if (b == (byte)'\n')
                {
                    comment = Comment.None;
                }

                return true;
            case Comment.Block:
                if (b == (byte)'*')
                {
                    comment = Comment.BlockStar;
                }

                return true;
            default:
                comment = b switch
                {
                    (byte)'/' => Comment.None,
                    (byte)'*' => Comment.BlockStar,
                    _ => Comment.Block,
                };
                return true;
        }
    }

    private void EmitBatch()
    {
        if (batch is { Segments.Count: > 0 })
        {
            emit(batch);
            batch = null;
        }
    }

    private void Skeleton(ReadOnlySpan<byte> bytes)
    {
        skeleton.Write(bytes);
        Advance(bytes);
    }

    private void Advance(ReadOnlySpan<byte> bytes)
    {
        offset += bytes.Length;
        var lines = bytes.Count((byte)'\n');
        if (lines == 0)
        {
            column += bytes.Length;
            return;
        }

        line += lines;
        column = bytes.Length - 1 - bytes.LastIndexOf((byte)'\n');
    }
}

/// <summary>
/// Where the device objects were cut out: skeleton positions from <see cref="SkeletonOffset"/> on stand at
/// <see cref="ResumeOffset"/> and after in the document.
/// </summary>
internal sealed record SkeletonCut(long SkeletonOffset, long Line, long Column)
{
    public long ResumeOffset { get; init; }

    public long ResumeLine { get; init; }

    public long ResumeColumn { get; init; }
}
