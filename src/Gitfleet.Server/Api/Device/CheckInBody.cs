using System.Buffers;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Devices;
using Microsoft.AspNetCore.Http;

namespace Gitfleet.Server.Api.Device;

/// <summary>
/// The body of a <c>next</c> check-in, read into a pooled buffer. Every check-in's rootfs-image.version is scanned
/// (no JSON document, no strings unless the value changed); the full provides are parsed only when the device has
/// something pending.
/// </summary>
internal sealed class CheckInBody : IDisposable
{
    private byte[] buffer;
    private int length;

    private CheckInBody(byte[] buffer)
    {
        this.buffer = buffer;
    }

    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

    /// <summary>Reads the whole body; 413 beyond <paramref name="limit"/> bytes.</summary>
    public static async ValueTask<CheckInBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new CheckInBody(ArrayPool<byte>.Shared.Rent(1024));
        try
        {
            while (true)
            {
                if (body.length == body.buffer.Length)
                {
                    if (body.length > limit)
                    {
                        throw new ApiException(413, $"the request body exceeds the limit of {limit} bytes");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(body.buffer.Length * 2);
                    body.buffer.AsSpan(0, body.length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(body.buffer);
                    body.buffer = larger;
                }

                var read = await request.Body.ReadAsync(body.buffer.AsMemory(body.length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return body.length <= limit ? body : throw new ApiException(413, $"the request body exceeds the limit of {limit} bytes");
                }

                body.length += read;
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the rootfs-image.version of the provides (inside device_provides for v2, at the top for v1) to
    /// <paramref name="devices"/>; a malformed body is ignored here (the full parse reports it when it matters).
    /// </summary>
    public void ObserveRootfsVersion(bool nested, Guid deviceId, DeviceService devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var reader = new Utf8JsonReader(Span);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            if (nested && !MoveToProperty(ref reader, "device_provides"u8))
            {
                return;
            }

            if (nested && (!reader.Read() || reader.TokenType != JsonTokenType.StartObject))
            {
                return;
            }

            if (MoveToProperty(ref reader, "rootfs-image.version"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                if (reader.ValueIsEscaped)
                {
                    devices.ObserveRootfsVersion(deviceId, Encoding.UTF8.GetBytes(reader.GetString()!));
                }
                else
                {
                    devices.ObserveRootfsVersion(deviceId, reader.ValueSpan);
                }
            }
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Positions the reader on the named property of the current object (skipping the others).</summary>
    private static bool MoveToProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                return true;
            }

            reader.Read();
            reader.Skip();
        }

        return false;
    }

    public void Dispose()
    {
        var rented = Interlocked.Exchange(ref buffer, []);
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
