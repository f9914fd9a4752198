using System.Numerics;
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

    // With interned strings, two maps are equal when their entries are the same instances; they are found by a hash of
    // their texts' hashes (which the interner computes anyway), then compared by instance.
    private readonly Dictionary<int, CompactStringMap> maps = [];

    // The keys of maps, by a hash of their texts: maps with the same keys (a device's configuration) share one array.
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

        // The fast path: a map as the facts endpoint writes it (plain strings, nothing to check twice or unescape).
        BeginMap();
        var plain = cursor.Plain();
        while (plain.Next(out var plainName, out var plainValue))
        {
            if (keep.Keeps(plainName))
            {
                var text = strings.Intern(plainValue, out var added, out var textHash);
                Keep(plainName, text, textHash, added);
            }
        }

        if (plain.Ended)
        {
            cursor.Past(plain);
            return Shared();
        }

        BeginMap(); // Not plain (whitespace, escapes, other values or a problem): read again, checking everything.
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
                int textHash;
                var added = false;
                switch (valueKind)
                {
                    case JsonTokenType.String:
                        var content = cursor.String(out var escapedValue);
                        (text, textHash) = !keeps ? ("", 0) : (strings.Intern(escapedValue ? JsonCursor.Unescape(content) : content, out added, out var hash), hash);
                        break;
                    case JsonTokenType.Number:
                        var number = cursor.Number();
                        (text, textHash) = keeps ? (strings.Intern(number, out added, out var numberHash), numberHash) : ("", 0);
                        break;
                    case JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                        (text, textHash) = cursor.Literal() switch
                        {
                            JsonTokenType.True => ("true", TrueHash),
                            JsonTokenType.False => ("false", FalseHash),
                            _ => ("", EmptyHash),
                        };
                        break;
                    default:
                        throw cursor.Error(value, $"\"{what}.{Encoding.UTF8.GetString(name)}\" must be a string");
                }

                if (keeps)
                {
                    Keep(name, text, textHash, added);
                }
            }
            while (cursor.Next((byte)'}'));
        }

        return Shared();
    }

    private static readonly int TrueHash = Utf8Interner.HashOf("true"u8);
    private static readonly int FalseHash = Utf8Interner.HashOf("false"u8);
    private static readonly int EmptyHash = Utf8Interner.HashOf([]);

    // The map being read: its entries, whether a value was new, and hashes of its keys and of its entries, made
    // from the texts' hashes (equal texts hash alike, so the same instances do).
    private bool fresh;
    private int keysHash;
    private int entriesHash;

    private void BeginMap()
    {
        scratch.Clear();
        fresh = false;
        keysHash = entriesHash = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Keep(ReadOnlySpan<byte> name, string text, int textHash, bool added)
    {
        var key = strings.Intern(name, out _, out var keyHash);
        scratch.Add(new KeyValuePair<string, string>(key, text));
        fresh |= added;
        keysHash = Mix(keysHash, keyHash);
        entriesHash = Mix(Mix(entriesHash, keyHash), textHash);
    }

    private static int Mix(int hash, int part) => (int)BitOperations.RotateLeft((uint)(hash ^ part) * 0x9E3779B1u, 15);

    /// <summary>
    /// The map of the entries read: an earlier instance when one has the same entries. A map with a value never seen
    /// before (a device's own URL) is new and is not remembered either, so unique maps do not fill the table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CompactStringMap Shared()
    {
        if (scratch.Count == 0)
        {
            return CompactStringMap.Empty;
        }

        if (fresh)
        {
            return WithSharedKeys();
        }

        if (maps.TryGetValue(entriesHash, out var known) && known.SameEntries(scratch))
        {
            return known;
        }

        var map = WithSharedKeys();
        maps[entriesHash] = map;
        return map;
    }

    /// <summary>A new map whose keys array is the one of earlier maps with the same keys, when there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CompactStringMap WithSharedKeys()
    {
        if (keySets.TryGetValue(keysHash, out var keys) && SameKeys(keys, scratch))
        {
            var values = new string[keys.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = scratch[i].Value;
            }

            return new CompactStringMap(keys, values);
        }

        var map = new CompactStringMap(scratch);
        if (map.Count == scratch.Count && keySets.Count < MaxKeySets)
        {
            keySets[keysHash] = map.KeyArray; // distinct keys only: a map with a key twice keeps the last value
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
