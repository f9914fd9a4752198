using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gitfleet.Core.Facts;
using Gitfleet.Server.Devices;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;

namespace Gitfleet.Server.Facts;

/// <summary>
/// Streams a <see cref="FactsDocument"/> for every device: four queries (devices, attributes, configurations,
/// unfinished deployments), each ordered by device id and merged as they stream, so memory stays flat at
/// hundreds of thousands of devices and no per-device query is made.
/// </summary>
internal sealed class FactsWriter(IFleetStore store, DeviceRegistry registry, TimeProvider time)
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
        await using var attributes = new Cursor<AttributeRecord>(store.StreamAttributesAsync(cancellationToken), a => a.DeviceId);
        await using var configurations = new Cursor<ConfigurationRecord>(store.StreamConfigurationsAsync(cancellationToken), c => c.DeviceId);
        await using var inFlight = new Cursor<DeviceDeploymentView>(store.StreamUnfinishedAsync(cancellationToken), v => v.Device.DeviceId);
        var count = 0;
        await foreach (var device in store.StreamDevicesAsync(cancellationToken).ConfigureAwait(false))
        {
            var identity = new Dictionary<string, string>(device.Identity, StringComparer.Ordinal);
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            var inventory = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var attribute in await attributes.TakeAsync(device.Id).ConfigureAwait(false))
            {
                switch (attribute.Scope)
                {
                    case AttributeScope.Tags:
                        tags.Add(attribute.Name, JsonMaps.AttributeText(attribute.ValueJson));
                        break;
                    case AttributeScope.Inventory:
                        inventory[attribute.Name] = JsonMaps.AttributeText(attribute.ValueJson);
                        break;
                    case AttributeScope.Provides:
                        // Rows come in scope order: what the device reports itself (inventory) wins.
                        inventory.TryAdd(attribute.Name, JsonMaps.AttributeText(attribute.ValueJson));
                        break;
                }
            }

            var configuration = (await configurations.TakeAsync(device.Id).ConfigureAwait(false)).FirstOrDefault();
            var deployments = await inFlight.TakeAsync(device.Id).ConfigureAwait(false);
            var facts = new DeviceFacts
            {
                Id = device.Id,
                Status = device.Status,
                DeviceType = device.DeviceType,
                ArtifactName = device.ArtifactName,
                Identity = identity,
                Tags = tags,
                Attributes = inventory,
                ReportedConfiguration = configuration?.ReportedJson is { } reported ? JsonMaps.Deserialize(reported) : null,
                ConfiguredConfiguration = configuration?.ConfiguredJson is { } configured ? JsonMaps.Deserialize(configured) : null,
                LastCheckIn = registry.LastCheckIn(device.Id) ?? device.LastCheckIn,
                InFlight = deployments.Select(v => new InFlightDeployment
                {
                    DeploymentId = v.Deployment.Id,
                    Kind = v.Deployment.Kind == DeploymentKinds.Configuration ? DeploymentKind.Configuration : DeploymentKind.Os,
                    ArtifactName = v.Deployment.Kind == DeploymentKinds.Os ? v.Deployment.ArtifactName : null,
                    ConfigurationChecksum = v.Deployment.ConfigurationChecksum,
                    Status = v.Device.Status,
                    CreatedAt = v.Deployment.CreatedAt,
                    Commit = v.Deployment.Trace?.Commit,
                }).ToList(),
            };
            JsonSerializer.Serialize(writer, facts, Options);
            if (++count % 200 == 0)
            {
                writer.Flush();
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same document read back into memory (the git watcher plans against it, as the CLI plans against the endpoint).</summary>
    public async Task<IReadOnlyList<DeviceFacts>> ReadAllAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var pipe = PipeWriter.Create(buffer, new StreamPipeWriterOptions(leaveOpen: true));
        await WriteAsync(pipe, cancellationToken).ConfigureAwait(false);
        await pipe.CompleteAsync().ConfigureAwait(false);
        return FactsDocument.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)).Devices;
    }

    /// <summary>A forward-only cursor over a stream ordered by device id: takes the rows of one device at a time.</summary>
    private sealed class Cursor<T>(IAsyncEnumerable<T> source, Func<T, string> key) : IAsyncDisposable
    {
        private readonly IAsyncEnumerator<T> enumerator = source.GetAsyncEnumerator();
        private bool started;
        private bool done;

        public async ValueTask<List<T>> TakeAsync(string deviceId)
        {
            var rows = new List<T>();
            if (!started)
            {
                started = true;
                done = !await enumerator.MoveNextAsync().ConfigureAwait(false);
            }

            while (!done && string.CompareOrdinal(key(enumerator.Current), deviceId) <= 0)
            {
                if (key(enumerator.Current) == deviceId)
                {
                    rows.Add(enumerator.Current);
                }

                done = !await enumerator.MoveNextAsync().ConfigureAwait(false);
            }

            return rows;
        }

        public ValueTask DisposeAsync() => enumerator.DisposeAsync();
    }
}
