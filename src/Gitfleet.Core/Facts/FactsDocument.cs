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

    /// <summary>What downloads cost (artifact and delta sizes), for byte estimates; null when the source has none.</summary>
    public Delivery.TransferCatalog? Catalog { get; init; }

    /// <summary>Parses a facts document; throws <see cref="FactsFormatException"/> with a readable message.</summary>
    public static FactsDocument Parse(ReadOnlySpan<byte> utf8Json)
    {
        var document = FactsReader.Read(utf8Json);
        if (document.Schema != CurrentSchema)
        {
            throw new FactsFormatException($"unsupported schema '{document.Schema}', expected '{CurrentSchema}'");
        }

        var seen = new HashSet<string>(document.Devices.Count, StringComparer.Ordinal);
        for (var i = 0; i < document.Devices.Count; i++)
        {
            if (!seen.Add(document.Devices[i].Id))
            {
                throw new FactsFormatException($"devices[{i}]: device id '{document.Devices[i].Id}' appears twice");
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
