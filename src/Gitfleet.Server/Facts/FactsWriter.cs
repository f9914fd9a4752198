using System.IO.Pipelines;
using System.Runtime.CompilerServices;
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
        var count = 0;
        await foreach (var facts in StreamAsync(cancellationToken).ConfigureAwait(false))
        {
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

    /// <summary>The same facts in memory, without JSON (the git watcher plans against them, as the CLI plans against the endpoint).</summary>
    public async Task<IReadOnlyList<DeviceFacts>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var devices = new List<DeviceFacts>(registry.Count);
        await foreach (var facts in StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            devices.Add(facts);
        }

        return devices;
    }

    /// <summary>Every device's facts, in id order, merged from four ordered queries as they stream.</summary>
    private async IAsyncEnumerable<DeviceFacts> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var attributes = new Cursor<AttributeRecord>(store.StreamAttributesAsync(cancellationToken), a => a.DeviceId);
        await using var configurations = new Cursor<ConfigurationRecord>(store.StreamConfigurationsAsync(cancellationToken), c => c.DeviceId);
        await using var inFlight = new Cursor<DeviceDeploymentView>(store.StreamUnfinishedAsync(cancellationToken), v => v.Device.DeviceId);

        // Many devices report the same configuration: each distinct JSON text is parsed once.
        var maps = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string>? Map(string? json)
        {
            if (json is null)
            {
                return null;
            }

            if (!maps.TryGetValue(json, out var map))
            {
                map = JsonMaps.Deserialize(json);
                maps[json] = map;
            }

            return map;
        }

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
            yield return new DeviceFacts
            {
                Id = device.Id,
                Status = device.Status,
                DeviceType = device.DeviceType,
                ArtifactName = device.ArtifactName,
                Identity = identity,
                Tags = tags,
                Attributes = inventory,
                ReportedConfiguration = Map(configuration?.ReportedJson),
                ConfiguredConfiguration = Map(configuration?.ConfiguredJson),
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
        }
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
