using System.Buffers;
using System.Security.Cryptography;

namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// A forward-only read stream that hashes (SHA-256) and counts every byte read through it, so one pass over an
/// upload yields its size and checksum. Disposing it leaves the inner stream open.
/// </summary>
internal sealed class HashingReadStream(Stream inner) : ForwardReadStream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    /// <summary>Lowercase hex SHA-256 of everything read so far; resets the hash.</summary>
    public string FinishHex() => Convert.ToHexStringLower(hash.GetHashAndReset());

    /// <summary>Reads and hashes everything left in the inner stream; returns whether it was all zero bytes.</summary>
    public async Task<bool> DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var allZero = true;
            int read;
            while ((read = await ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                allZero = allZero && !buffer.AsSpan(0, read).ContainsAnyExcept((byte)0);
            }

            return allZero;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Account(buffer[..read]);
        return read;
    }

    /// <summary>Completes synchronously (no state machine allocated) when the inner read does.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var pending = inner.ReadAsync(buffer, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var read = pending.Result;
            Account(buffer.Span[..read]);
            return ValueTask.FromResult(read);
        }

        return AwaitAsync(pending, buffer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<int> AwaitAsync(ValueTask<int> pending, Memory<byte> buffer)
    {
        var read = await pending.ConfigureAwait(false);
        Account(buffer.Span[..read]);
        return read;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        hash.AppendData(data);
        BytesRead += data.Length;
    }
}
