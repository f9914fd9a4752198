using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gitfleet.Core.Facts;

/// <summary>
/// The facts file (<c>gitfleet plan --facts FILE</c>) and the server's bulk facts endpoint share this JSON shape,
/// documented in docs/facts.md. Property names are snake_case, as in Mender's APIs.
/// </summary>
public sealed record FactsDocument
{
    public const string CurrentSchema = "gitfleet.facts/v1";

    public string Schema { get; init; } = CurrentSchema;

    public DateTimeOffset? GeneratedAt { get; init; }

    public IReadOnlyList<DeviceFacts> Devices { get => field; init => field = value ?? []; } = [];

    /// <summary>Parses a facts document; throws <see cref="FactsFormatException"/> with a readable message.</summary>
    public static FactsDocument Parse(ReadOnlySpan<byte> utf8Json)
    {
        FactsDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(utf8Json, FactsJsonContext.Default.FactsDocument);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, position {e.BytePositionInLine + 1}: " : "";
            throw new FactsFormatException($"{where}{StripPath(e.Message)}", e);
        }

        if (document is null)
        {
            throw new FactsFormatException("the facts document is empty (null)");
        }

        if (document.Schema != CurrentSchema)
        {
            throw new FactsFormatException($"unsupported schema '{document.Schema}', expected '{CurrentSchema}'");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Devices.Count; i++)
        {
            var device = document.Devices[i];
            if (device is null || string.IsNullOrWhiteSpace(device.Id))
            {
                throw new FactsFormatException($"devices[{i}]: a device needs a non-empty \"id\"");
            }

            if (!seen.Add(device.Id))
            {
                throw new FactsFormatException($"devices[{i}]: device id '{device.Id}' appears twice");
            }
        }

        return document;
    }

    public static async Task<FactsDocument> ReadAsync(Stream utf8Json, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await utf8Json.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public Task WriteAsync(Stream utf8Json, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(utf8Json, this, FactsJsonContext.Default.FactsDocument, cancellationToken);

    public string ToJson() => JsonSerializer.Serialize(this, FactsJsonContext.Default.FactsDocument);

    private static string StripPath(string message)
    {
        // System.Text.Json appends "Path: $... | LineNumber: ..." which we already render as a position.
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

public sealed class FactsFormatException : Exception
{
    public FactsFormatException(string message)
        : base(message)
    {
    }

    public FactsFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public FactsFormatException()
    {
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    WriteIndented = true)]
[JsonSerializable(typeof(FactsDocument))]
internal sealed partial class FactsJsonContext : JsonSerializerContext;
