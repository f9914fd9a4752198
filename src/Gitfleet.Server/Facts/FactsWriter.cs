using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Api.Redaction;
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

    /// <summary>
    /// Writes to a pipe (the response's BodyWriter): serialisation fills buffers, flushes go out asynchronously.
    /// Secret configuration values are written as *** (<paramref name="redactor"/>), with the real reported
    /// configuration's checksum beside them so a planner holding the secrets can still compare.
    /// </summary>
    public async Task WriteAsync(PipeWriter output, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(redactor);
        var checksums = new Dictionary<IReadOnlyDictionary<string, string>, string>(ReferenceEqualityComparer.Instance);
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
                JsonSerializer.Serialize(writer, Redact(facts, redactor, checksums), Options);
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

    private static DeviceFacts Redact(DeviceFacts facts, SecretRedactor redactor, Dictionary<IReadOnlyDictionary<string, string>, string> checksums)
    {
        var reported = redactor.Map(facts.ReportedConfiguration);
        var configured = redactor.Map(facts.ConfiguredConfiguration);
        if (ReferenceEquals(reported, facts.ReportedConfiguration) && ReferenceEquals(configured, facts.ConfiguredConfiguration))
        {
            return facts;
        }

        string? checksum = null;
        if (facts.ReportedConfiguration is { } real && !ReferenceEquals(reported, real) && !checksums.TryGetValue(real, out checksum))
        {
            checksums[real] = checksum = ConfigurationChecksum.Compute(real);
        }

        return facts with { ReportedConfiguration = reported, ConfiguredConfiguration = configured, ReportedConfigurationChecksum = checksum };
    }

    /// <summary>
    /// The same facts in memory, without JSON, with only what <paramref name="projection"/> keeps (the git watcher
    /// plans against them, as the CLI plans against the endpoint: a plan reads neither the configured maps nor most
    /// inventory attributes).
    /// </summary>
    public async Task<IReadOnlyList<DeviceFacts>> ReadAllAsync(FactsProjection projection, CancellationToken cancellationToken)
    {
        var devices = new List<DeviceFacts>(registry.Count);
        await foreach (var page in store.StreamFactsAsync(registry.LastCheckIn, projection, cancellationToken).ConfigureAwait(false))
        {
            devices.AddRange(page);
        }

        return devices;
    }
}
