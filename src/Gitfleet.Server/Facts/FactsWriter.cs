using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Devices;
using Gitfleet.Storage;

namespace Gitfleet.Server.Facts;

/// <summary>
/// Streams a <see cref="FactsDocument"/> for every device, a page of devices at a time from the store (four range
/// queries per page, no per-device query), so memory stays bounded at hundreds of thousands of devices.
/// </summary>
internal sealed class FactsWriter(IFleetStore store, DeviceRegistry registry, Delivery.CatalogBuilder catalog, TimeProvider time)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes to a pipe (the response's BodyWriter): serialisation fills buffers, flushes go out asynchronously.</summary>
    public async Task WriteAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("schema", FactsDocument.CurrentSchema);
        writer.WriteString("generated_at", time.GetUtcNow());
        writer.WriteStartArray("devices");
        var count = 0;
        await foreach (var page in store.StreamFactsAsync(registry.LastCheckIn, withConfigured: true, cancellationToken).ConfigureAwait(false))
        {
            foreach (var facts in page)
            {
                JsonSerializer.Serialize(writer, facts, Options);
                if (++count % 200 == 0)
                {
                    writer.Flush();
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        writer.WriteEndArray();
        writer.WritePropertyName("catalog");
        JsonSerializer.Serialize(writer, await catalog.BuildAsync(cancellationToken).ConfigureAwait(false), Core.Delivery.DeliveryJson.Default.TransferCatalog);
        writer.WriteEndObject();
        writer.Flush();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same facts in memory, without JSON and without the configured maps, which planning never reads (the git
    /// watcher plans against them, as the CLI plans against the endpoint).
    /// </summary>
    public async Task<IReadOnlyList<DeviceFacts>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var devices = new List<DeviceFacts>(registry.Count);
        await foreach (var page in store.StreamFactsAsync(registry.LastCheckIn, withConfigured: false, cancellationToken).ConfigureAwait(false))
        {
            devices.AddRange(page);
        }

        return devices;
    }
}
