using System.Text;
using System.Text.Json;

namespace Gitfleet.Core.Facts;

/// <summary>
/// Reads a facts document in one forward pass with <see cref="Utf8JsonReader"/>: 200,000 devices in a couple
/// of seconds. Strings that repeat across devices (map keys, statuses, device types, images, configuration
/// values) are pooled, and maps are <see cref="CompactStringMap"/>s. Unknown properties are skipped, so newer
/// servers can add fields.
/// </summary>
internal sealed class FactsReader
{
    private const int PoolableLength = 256;
    private readonly Dictionary<string, string> pool = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup;
    private readonly List<KeyValuePair<string, string>> scratch = new(32);

    // Identical maps (the same tags, attributes or configuration on many devices) are read once: with pooled
    // strings, two maps are equal when their entries are the same instances, so hashing references is enough.
    private readonly Dictionary<int, CompactStringMap> maps = [];

    private FactsReader()
    {
        lookup = pool.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static FactsDocument Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        return new FactsReader().ReadDocument(ref reader);
    }

    private FactsDocument ReadDocument(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw new FactsFormatException("the facts document is empty (null)");
        }

        Expect(ref reader, JsonTokenType.StartObject, "the facts document must be a JSON object");
        string? schema = null;
        DateTimeOffset? generatedAt = null;
        var devices = new List<DeviceFacts>();
        Delivery.TransferCatalog? catalog = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("schema"u8))
            {
                Next(ref reader);
                schema = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Error(ref reader, "\"schema\" must be a string");
            }
            else if (reader.ValueTextEquals("generated_at"u8))
            {
                Next(ref reader);
                generatedAt = ReadTime(ref reader, "generated_at");
            }
            else if (reader.ValueTextEquals("devices"u8))
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                Expect(ref reader, JsonTokenType.StartArray, "\"devices\" must be a list");
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    devices.Add(ReadDevice(ref reader, devices.Count));
                }
            }
            else if (reader.ValueTextEquals("catalog"u8))
            {
                Next(ref reader);
                catalog = ReadCatalog(ref reader);
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        return new FactsDocument { Schema = schema ?? "", GeneratedAt = generatedAt, Devices = devices, Catalog = catalog };
    }

    /// <summary>The optional catalog (artifact and delta sizes, docs/facts.md): small, read with the serializer.</summary>
    private static Delivery.TransferCatalog? ReadCatalog(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(ref reader, Delivery.DeliveryJson.Default.TransferCatalog);
        }
        catch (JsonException e)
        {
            throw new FactsFormatException($"\"catalog\" is malformed: {e.Message}", e);
        }
    }

    private DeviceFacts ReadDevice(ref Utf8JsonReader reader, int index)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"devices[{index}] must be an object");
        string? id = null;
        string? status = null, deviceType = null, artifactName = null, reportedChecksum = null;
        IReadOnlyDictionary<string, string>? identity = null, tags = null, attributes = null, reported = null, configured = null;
        DateTimeOffset? lastCheckIn = null;
        List<InFlightDeployment>? inFlight = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var property = PropertyOf(ref reader);
            Next(ref reader);
            switch (property)
            {
                case Property.Id: id = ReadString(ref reader, pooled: false, "id"); break;
                case Property.Status: status = ReadString(ref reader, pooled: true, "status"); break;
                case Property.DeviceType: deviceType = ReadString(ref reader, pooled: true, "device_type"); break;
                case Property.ArtifactName: artifactName = ReadString(ref reader, pooled: true, "artifact_name"); break;
                case Property.Identity: identity = ReadMap(ref reader, "identity"); break;
                case Property.Tags: tags = ReadMap(ref reader, "tags"); break;
                case Property.Attributes: attributes = ReadMap(ref reader, "attributes"); break;
                case Property.ReportedConfiguration: reported = ReadMap(ref reader, "reported_configuration"); break;
                case Property.ConfiguredConfiguration: configured = ReadMap(ref reader, "configured_configuration"); break;
                case Property.ReportedConfigurationChecksum: reportedChecksum = ReadString(ref reader, pooled: false, "reported_configuration_checksum"); break;
                case Property.LastCheckIn: lastCheckIn = ReadTime(ref reader, "last_check_in"); break;
                case Property.InFlight: inFlight = ReadInFlight(ref reader); break;
                default: reader.Skip(); break;
            }
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            throw new FactsFormatException($"devices[{index}]: a device needs a non-empty \"id\"");
        }

        return new DeviceFacts
        {
            Id = id,
            Status = status!,
            DeviceType = deviceType,
            ArtifactName = artifactName,
            Identity = identity!,
            Tags = tags!,
            Attributes = attributes!,
            ReportedConfiguration = reported,
            ConfiguredConfiguration = configured,
            ReportedConfigurationChecksum = reportedChecksum,
            LastCheckIn = lastCheckIn,
            InFlight = inFlight!,
        };
    }

    private List<InFlightDeployment>? ReadInFlight(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray, "\"in_flight\" must be a list");
        var list = new List<InFlightDeployment>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            Expect(ref reader, JsonTokenType.StartObject, "an in_flight entry must be an object");
            string? id = null, artifact = null, checksum = null, status = null, commit = null;
            DeploymentKind? kind = null;
            DateTimeOffset? created = null;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                Next(ref reader);
                switch (name)
                {
                    case "deployment_id": id = ReadString(ref reader, false, name); break;
                    case "kind":
                        kind = ReadString(ref reader, true, name) switch
                        {
                            "os" => DeploymentKind.Os,
                            "configuration" => DeploymentKind.Configuration,
                            var other => throw Error(ref reader, $"in_flight kind must be \"os\" or \"configuration\", not \"{other}\""),
                        };
                        break;
                    case "artifact_name": artifact = ReadString(ref reader, true, name); break;
                    case "configuration_checksum": checksum = ReadString(ref reader, true, name); break;
                    case "status": status = ReadString(ref reader, true, name); break;
                    case "commit": commit = ReadString(ref reader, true, name); break;
                    case "created_at": created = ReadTime(ref reader, name); break;
                    default: reader.Skip(); break;
                }
            }

            if (id is null || kind is null)
            {
                throw Error(ref reader, "an in_flight entry needs \"deployment_id\" and \"kind\"");
            }

            list.Add(new InFlightDeployment
            {
                DeploymentId = id,
                Kind = kind.Value,
                ArtifactName = artifact,
                ConfigurationChecksum = checksum,
                Status = status ?? "pending",
                CreatedAt = created,
                Commit = commit,
            });
        }

        return list;
    }

    private CompactStringMap? ReadMap(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject, $"\"{what}\" must be an object of strings");
        scratch.Clear();
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var key = Pooled(ref reader);
            Next(ref reader);
            var value = reader.TokenType switch
            {
                JsonTokenType.String or JsonTokenType.Number => Pooled(ref reader),
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                JsonTokenType.Null => "",
                _ => throw Error(ref reader, $"\"{what}.{key}\" must be a string"),
            };
            scratch.Add(new KeyValuePair<string, string>(key, value));
        }

        if (scratch.Count == 0)
        {
            return CompactStringMap.Empty;
        }

        var hash = new HashCode();
        foreach (var (key, value) in scratch)
        {
            hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key));
            hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value));
        }

        var code = hash.ToHashCode();
        if (maps.TryGetValue(code, out var known) && known.SameEntries(scratch))
        {
            return known;
        }

        var map = new CompactStringMap(scratch);
        maps[code] = map;
        return map;
    }

    private string? ReadString(ref Utf8JsonReader reader, bool pooled, string what) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => pooled ? Pooled(ref reader) : reader.GetString(),
        _ => throw Error(ref reader, $"\"{what}\" must be a string"),
    };

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time))
        {
            return time;
        }

        throw Error(ref reader, $"\"{what}\" must be a date and time such as 2026-01-05T08:00:00Z");
    }

    private string Pooled(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > PoolableLength)
        {
            var text = reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : reader.GetString()!;
            if (text.Length > PoolableLength)
            {
                return text;
            }

            if (pool.TryGetValue(text, out var known))
            {
                return known;
            }

            pool[text] = text;
            return text;
        }

        Span<char> chars = stackalloc char[PoolableLength];
        var span = chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)];
        if (lookup.TryGetValue(span, out var existing))
        {
            return existing;
        }

        var created = new string(span);
        pool[created] = created;
        return created;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read())
            {
                throw new FactsFormatException("the facts document ends early");
            }
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, position {e.BytePositionInLine + 1}: " : "";
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new FactsFormatException(where + (cut > 0 ? message[..cut] : message), e);
        }

        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string message)
    {
        if (reader.TokenType != type)
        {
            throw Error(ref reader, message);
        }
    }

    private static FactsFormatException Error(ref Utf8JsonReader reader, string message) =>
        new($"at byte {reader.TokenStartIndex}: {message}");

    private static Property PropertyOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("id"u8)) return Property.Id;
        if (reader.ValueTextEquals("status"u8)) return Property.Status;
        if (reader.ValueTextEquals("device_type"u8)) return Property.DeviceType;
        if (reader.ValueTextEquals("artifact_name"u8)) return Property.ArtifactName;
        if (reader.ValueTextEquals("identity"u8)) return Property.Identity;
        if (reader.ValueTextEquals("tags"u8)) return Property.Tags;
        if (reader.ValueTextEquals("attributes"u8)) return Property.Attributes;
        if (reader.ValueTextEquals("reported_configuration"u8)) return Property.ReportedConfiguration;
        if (reader.ValueTextEquals("configured_configuration"u8)) return Property.ConfiguredConfiguration;
        if (reader.ValueTextEquals("reported_configuration_checksum"u8)) return Property.ReportedConfigurationChecksum;
        if (reader.ValueTextEquals("last_check_in"u8)) return Property.LastCheckIn;
        if (reader.ValueTextEquals("in_flight"u8)) return Property.InFlight;
        return Property.Unknown;
    }

    private enum Property
    {
        Unknown,
        Id,
        Status,
        DeviceType,
        ArtifactName,
        Identity,
        Tags,
        Attributes,
        ReportedConfiguration,
        ConfiguredConfiguration,
        ReportedConfigurationChecksum,
        LastCheckIn,
        InFlight,
    }
}
