using System.Buffers;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api;

/// <summary>
/// Reads request bodies with a size limit; malformed or oversized input, or text that is not well-formed Unicode
/// (<see cref="WellFormedText"/>), becomes a 400/413 with a message.
/// </summary>
public static class JsonBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(context, cancellationToken).ConfigureAwait(false);
        return Parse<T>(bytes);
    }

    public static T Parse<T>(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw ApiException.BadRequest("the request body is empty; JSON expected");
        }

        WellFormedText.CheckJson(bytes.Span);

        try
        {
            return JsonSerializer.Deserialize<T>(bytes.Span, ApiJson.Options)
                ?? throw ApiException.BadRequest("the request body is null; a JSON value expected");
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }
    }

    /// <summary>The 400 for a body that is no JSON of the expected shape, saying where when the reader knows.</summary>
    public static ApiException Malformed(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return ApiException.BadRequest($"malformed JSON{where}: {(cut > 0 ? message[..cut] : message)}");
    }

    /// <summary>The raw body, at most the configured JSON limit (413 beyond it).</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limit = context.RequestServices.GetRequiredService<ServerOptions>().MaxJsonBodyBytes;
        if (context.Request.ContentLength is { } length && length > limit)
        {
            throw new ApiException(413, $"the request body has {length} bytes; the limit is {limit}");
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        var body = context.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw new ApiException(413, $"the request body exceeds the limit of {limit} bytes");
            }
        }
    }
}
