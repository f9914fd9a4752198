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
    public static FactsDocument Parse(ReadOnlySpan<byte> utf8Json, FactsProjection? projection = null) =>
        Checked(Reading.FactsReader.Read(utf8Json, projection ?? FactsProjection.All));

    /// <summary>
    /// Reads a facts document as it arrives (a file, stdin, an HTTP response), without holding it: the devices are
    /// parsed on every core while the next bytes are read. Throws <see cref="FactsFormatException"/>.
    /// </summary>
    public static async Task<FactsDocument> ReadAsync(Stream utf8Json, CancellationToken cancellationToken) =>
        await ReadAsync(utf8Json, FactsProjection.All, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc cref="ReadAsync(Stream, CancellationToken)"/>
    /// <param name="projection">What to keep of each device (a plan needs little of it).</param>
    public static async Task<FactsDocument> ReadAsync(Stream utf8Json, FactsProjection projection, CancellationToken cancellationToken) =>
        Checked(await Reading.FactsReader.ReadAsync(utf8Json, projection, cancellationToken).ConfigureAwait(false));

    private static FactsDocument Checked(FactsDocument document)
    {
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
