using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Reads device objects with a <see cref="JsonCursor"/>, one reader thread per instance. Strings that repeat
/// across devices (map keys, statuses, types, images, configuration values) are interned from their bytes,
/// identical maps are one instance, and what the <see cref="FactsProjection"/> leaves out is skipped without a
/// string being made. Unknown properties are skipped, so newer servers can add fields.
/// </summary>
internal sealed class DeviceParser(FactsProjection projection)
{
    private readonly Utf8Interner strings = new();
    private readonly List<KeyValuePair<string, string>> scratch = new(32);
    private readonly KeyFilter attributes = new(projection.Attributes);
    private readonly KeyFilter identity = new(projection.Identity);

    // With interned strings, two maps are equal when their entries are the same instances: hashing references is enough.
    private readonly Dictionary<int, CompactStringMap> maps = [];

    // The keys of maps, by the instances they are: maps with the same keys (a device's configuration) share one array.
    private readonly Dictionary<int, string[]> keySets = [];

    /// <summary>Parses the device objects of a batch, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DeviceFacts[] Parse(DeviceBatch batch)
    {
        var devices = new DeviceFacts[batch.Segments.Count];
        for (var i = 0; i < devices.Length; i++)
        {
            var segment = batch.Segments[i];
            var cursor = new JsonCursor(batch.Bytes(segment), PositionMap.Of(segment));
            devices[i] = Parse(ref cursor, segment.Index);
            cursor.End();
        }

        return devices;
    }

    /// <summary>Reads one device object; the cursor stands on its start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DeviceFacts Parse(ref JsonCursor cursor, int index)
    {
        if (cursor.Kind() != JsonTokenType.StartObject)
        {
            throw cursor.Error(cursor.Position, $"devices[{index}] must be an object");
        }

        string? id = null;
        string? status = null, deviceType = null, artifactName = null, reportedChecksum = null;
        IReadOnlyDictionary<string, string>? identityMap = null, tags = null, attributeMap = null, reported = null, configured = null;
        DateTimeOffset? lastCheckIn = null;
        List<InFlightDeployment>? inFlight = null;
        if (cursor.Open((byte)'{', (byte)'}', "'{'"))
        {
            do
            {
                var name = cursor.Name(out var escaped);
                switch (PropertyOf(escaped ? JsonCursor.Unescape(name) : name))
                {
                    case Property.Id: id = ReadString(ref cursor, pooled: false, "id"); break;
                    case Property.Status: status = ReadString(ref cursor, pooled: true, "status"); break;
                    case Property.DeviceType: deviceType = ReadString(ref cursor, pooled: true, "device_type"); break;
                    case Property.ArtifactName: artifactName = ReadString(ref cursor, pooled: true, "artifact_name"); break;
                    case Property.Identity: identityMap = ReadMap(ref cursor, "identity", identity); break;
                    case Property.Tags: tags = ReadMap(ref cursor, "tags", KeyFilter.All); break;
                    case Property.Attributes: attributeMap = ReadMap(ref cursor, "attributes", attributes); break;
                    case Property.ReportedConfiguration: reported = ReadMap(ref cursor, "reported_configuration", KeyFilter.All); break;
                    case Property.ReportedConfigurationChecksum: reportedChecksum = ReadString(ref cursor, pooled: false, "reported_configuration_checksum"); break;
                    case Property.ConfiguredConfiguration when projection.ConfiguredConfiguration:
                        configured = ReadMap(ref cursor, "configured_configuration", KeyFilter.All);
                        break;
                    case Property.LastCheckIn: lastCheckIn = cursor.Time("last_check_in"); break;
                    case Property.InFlight: inFlight = ReadInFlight(ref cursor); break;
                    default: cursor.Skip(); break;
                }
            }
            while (cursor.Next((byte)'}'));
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
            Identity = identityMap!,
            Tags = tags!,
            Attributes = attributeMap!,
            ReportedConfiguration = reported,
            ReportedConfigurationChecksum = reportedChecksum,
            ConfiguredConfiguration = configured,
            LastCheckIn = lastCheckIn,
            InFlight = inFlight!,
        };
    }

    private List<InFlightDeployment>? ReadInFlight(ref JsonCursor cursor)
    {
        if (cursor.NullOr(JsonTokenType.StartArray, "in_flight", "must be a list"))
        {
            return null;
        }

        if (!cursor.Open((byte)'[', (byte)']', "'['"))
        {
            return null; // Most devices have nothing in flight: the shared empty list, not one each.
        }

        var list = new List<InFlightDeployment>();

        do
        {
            var entryKind = cursor.Kind();
            var entry = cursor.Position;
            if (entryKind != JsonTokenType.StartObject)
            {
                throw cursor.Error(entry, "an in_flight entry must be an object");
            }

            string? id = null, artifact = null, checksum = null, status = null, commit = null;
            DeploymentKind? kind = null;
            DateTimeOffset? created = null;
            if (cursor.Open((byte)'{', (byte)'}', "'{'"))
            {
                do
                {
                    var raw = cursor.Name(out var escaped);
                    var name = Encoding.UTF8.GetString(escaped ? JsonCursor.Unescape(raw) : raw);
                    var value = cursor.Position;
                    switch (name)
                    {
                        case "deployment_id": id = ReadString(ref cursor, false, name); break;
                        case "kind":
                            kind = ReadString(ref cursor, true, name) switch
                            {
                                "os" => DeploymentKind.Os,
                                "configuration" => DeploymentKind.Configuration,
                                var other => throw cursor.Error(value, $"in_flight kind must be \"os\" or \"configuration\", not \"{other}\""),
                            };
                            break;
                        case "artifact_name": artifact = ReadString(ref cursor, true, name); break;
                        case "configuration_checksum": checksum = ReadString(ref cursor, true, name); break;
                        case "status": status = ReadString(ref cursor, true, name); break;
                        case "commit": commit = ReadString(ref cursor, true, name); break;
                        case "created_at": created = cursor.Time(name); break;
                        default: cursor.Skip(); break;
                    }
                }
                while (cursor.Next((byte)'}'));
            }

            if (id is null || kind is null)
            {
                throw cursor.Error(entry, "an in_flight entry needs \"deployment_id\" and \"kind\"");
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
        while (cursor.Next((byte)']'));
        return list;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CompactStringMap? ReadMap(ref JsonCursor cursor, string what, KeyFilter keep)
    {
        if (cursor.NullOr(JsonTokenType.StartObject, what, "must be an object of strings"))
        {
            return null;
        }

        scratch.Clear();
        var fresh = false; // a value seen for the first time: the map cannot be one seen before
        if (cursor.Open((byte)'{', (byte)'}', "'{'"))
        {
            do
            {
                var raw = cursor.Name(out var escaped);
                var name = escaped ? JsonCursor.Unescape(raw) : raw;
                var valueKind = cursor.Kind();
                var value = cursor.Position;
                var keeps = keep.Keeps(name);
                string text;
                switch (valueKind)
                {
                    case JsonTokenType.String:
                        var content = cursor.String(out var escapedValue);
                        var added = false;
                        text = !keeps ? "" : escapedValue ? strings.Intern(JsonCursor.Unescape(content), out added) : strings.Intern(content, out added);
                        fresh |= added;
                        break;
                    case JsonTokenType.Number:
                        var number = cursor.Number();
                        var addedNumber = false;
                        text = keeps ? strings.Intern(number, out addedNumber) : "";
                        fresh |= addedNumber;
                        break;
                    case JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                        text = cursor.Literal() switch
                        {
                            JsonTokenType.True => "true",
                            JsonTokenType.False => "false",
                            _ => "",
                        };
                        break;
                    default:
                        throw cursor.Error(value, $"\"{what}.{Encoding.UTF8.GetString(name)}\" must be a string");
                }

                if (keeps)
                {
                    scratch.Add(new KeyValuePair<string, string>(strings.Intern(name), text));
                }
            }
            while (cursor.Next((byte)'}'));
        }

        return Shared(scratch, fresh);
    }

    /// <summary>
    /// The map of these entries: an earlier instance when one has the same entries. A map with a value never seen
    /// before (a device's own URL) is new and is not remembered either, so unique maps do not fill the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CompactStringMap Shared(List<KeyValuePair<string, string>> entries, bool fresh)
    {
        if (entries.Count == 0)
        {
            return CompactStringMap.Empty;
        }

        if (fresh)
        {
            return WithSharedKeys(entries);
        }

        var hash = new HashCode();
        foreach (var (key, value) in entries)
        {
            hash.Add(RuntimeHelpers.GetHashCode(key));
            hash.Add(RuntimeHelpers.GetHashCode(value));
        }

        var code = hash.ToHashCode();
        if (maps.TryGetValue(code, out var known) && known.SameEntries(entries))
        {
            return known;
        }

        var map = WithSharedKeys(entries);
        maps[code] = map;
        return map;
    }

    /// <summary>A new map whose keys array is the one of earlier maps with the same keys, when there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CompactStringMap WithSharedKeys(List<KeyValuePair<string, string>> entries)
    {
        var hash = new HashCode();
        foreach (var (key, _) in entries)
        {
            hash.Add(RuntimeHelpers.GetHashCode(key));
        }

        var code = hash.ToHashCode();
        if (keySets.TryGetValue(code, out var keys) && SameKeys(keys, entries))
        {
            var values = new string[keys.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = entries[i].Value;
            }

            return new CompactStringMap(keys, values);
        }

        var map = new CompactStringMap(entries);
        if (map.Count == entries.Count && keySets.Count < MaxKeySets)
        {
            keySets[code] = map.KeyArray; // distinct keys only: a map with a key twice keeps the last value
        }

        return map;
    }

    private const int MaxKeySets = 4096;

    private static bool SameKeys(string[] keys, List<KeyValuePair<string, string>> entries)
    {
        if (keys.Length != entries.Count)
        {
            return false;
        }

        for (var i = 0; i < keys.Length; i++)
        {
            if (!ReferenceEquals(keys[i], entries[i].Key))
            {
                return false;
            }
        }

        return true;
    }

    private string? ReadString(ref JsonCursor cursor, bool pooled, string what)
    {
        if (cursor.NullOr(JsonTokenType.String, what, "must be a string"))
        {
            return null;
        }

        var content = cursor.String(out var escaped);
        var utf8 = escaped ? JsonCursor.Unescape(content) : content;
        return pooled ? strings.Intern(utf8) : Encoding.UTF8.GetString(utf8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Property PropertyOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => Property.Id,
        4 when name.SequenceEqual("tags"u8) => Property.Tags,
        6 when name.SequenceEqual("status"u8) => Property.Status,
        8 when name.SequenceEqual("identity"u8) => Property.Identity,
        9 when name.SequenceEqual("in_flight"u8) => Property.InFlight,
        10 when name.SequenceEqual("attributes"u8) => Property.Attributes,
        11 when name.SequenceEqual("device_type"u8) => Property.DeviceType,
        13 when name.SequenceEqual("artifact_name"u8) => Property.ArtifactName,
        13 when name.SequenceEqual("last_check_in"u8) => Property.LastCheckIn,
        22 when name.SequenceEqual("reported_configuration"u8) => Property.ReportedConfiguration,
        24 when name.SequenceEqual("configured_configuration"u8) => Property.ConfiguredConfiguration,
        31 when name.SequenceEqual("reported_configuration_checksum"u8) => Property.ReportedConfigurationChecksum,
        _ => Property.Unknown,
    };

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

    /// <summary>The map keys a projection keeps, compared as UTF-8 bytes.</summary>
    private sealed class KeyFilter
    {
        public static readonly KeyFilter All = new(null);

        private readonly byte[][]? keys;

        public KeyFilter(IReadOnlySet<string>? keep)
        {
            keys = keep?.Select(Encoding.UTF8.GetBytes).ToArray();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Keeps(ReadOnlySpan<byte> name)
        {
            if (keys is null)
            {
                return true;
            }

            foreach (var key in keys)
            {
                if (name.SequenceEqual(key))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
