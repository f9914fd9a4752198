using System.Text.Json;
using Gitfleet.Artifacts.Json;

namespace Gitfleet.Artifacts.Reading;

/// <summary>The parsed <c>header-info</c>: payload types, artifact_provides and artifact_depends.</summary>
internal sealed record HeaderInfo(
    IReadOnlyList<string> PayloadTypes,
    string ArtifactName,
    string? ArtifactGroup,
    IReadOnlyList<string> DeviceTypes,
    IReadOnlyList<string> DependsOnArtifactNames,
    IReadOnlyList<string> DependsOnGroups)
{
    private static readonly HashSet<string> TopLevelFields = ["payloads", "artifact_provides", "artifact_depends"];
    private static readonly HashSet<string> ProvidesFields = ["artifact_name", "artifact_group"];

    /// <summary>
    /// Parses and validates header-info as Mender clients do: unknown top-level fields and unknown
    /// artifact_provides fields are errors (the Go decoder disallows them), a name and at least one device type
    /// are required, a null payload type (a bootstrap artifact) is refused.
    /// </summary>
    public static HeaderInfo Parse(string file, ReadOnlyMemory<byte> json)
    {
        using var document = ParseObject(file, json);
        var root = document.RootElement;

        var payloadTypes = ParsePayloads(file, root);

        if (!root.TryGetProperty("artifact_provides", out var provides) || provides.ValueKind == JsonValueKind.Null)
        {
            throw new ArtifactFormatException($"{file}: 'artifact_provides' is missing");
        }

        JsonFields.RequireObject(file, "artifact_provides", provides);
        string? name = null;
        string? group = null;
        foreach (var property in provides.EnumerateObject())
        {
            if (!ProvidesFields.Contains(property.Name))
            {
                throw new ArtifactFormatException($"{file}: unknown field 'artifact_provides.{property.Name}'");
            }

            var value = JsonFields.RequireString(file, $"artifact_provides.{property.Name}", property.Value);
            JsonFields.RequirePrintable(file, $"artifact_provides.{property.Name}", value);
            if (property.Name == "artifact_name")
            {
                name = value;
            }
            else
            {
                group = value.Length == 0 ? null : value;
            }
        }

        if (string.IsNullOrEmpty(name))
        {
            throw new ArtifactFormatException($"{file}: the artifact name ('artifact_provides.artifact_name') is empty");
        }

        if (!root.TryGetProperty("artifact_depends", out var depends) || depends.ValueKind == JsonValueKind.Null)
        {
            throw new ArtifactFormatException($"{file}: 'artifact_depends' is missing, so the artifact names no device types");
        }

        JsonFields.RequireObject(file, "artifact_depends", depends);
        var deviceTypes = OptionalPrintableList(file, depends, "device_type");
        if (deviceTypes.Count == 0 || deviceTypes.Any(string.IsNullOrEmpty))
        {
            throw new ArtifactFormatException(
                $"{file}: the artifact names no device types ('artifact_depends.device_type' is missing or empty)");
        }

        return new HeaderInfo(
            payloadTypes,
            name,
            group,
            deviceTypes,
            OptionalPrintableList(file, depends, "artifact_name"),
            OptionalPrintableList(file, depends, "artifact_group"));
    }

    /// <summary>The payload types of a header-augment's header-info, where provides and depends are optional.</summary>
    public static IReadOnlyList<string> ParseAugment(string file, ReadOnlyMemory<byte> json)
    {
        using var document = ParseObject(file, json);
        var root = document.RootElement;

        return ParsePayloads(file, root);
    }

    /// <summary>Parses a header-info object whose top-level fields are all known ones.</summary>
    private static JsonDocument ParseObject(string file, ReadOnlyMemory<byte> json)
    {
        var document = JsonFields.Parse(file, json);
        var root = document.RootElement;
        try
        {
            JsonFields.RequireObject(file, "", root);
            foreach (var property in root.EnumerateObject())
            {
                if (!TopLevelFields.Contains(property.Name))
                {
                    throw new ArtifactFormatException($"{file}: unknown field '{property.Name}'");
                }
            }
        }
        catch
        {
            document.Dispose();
            throw;
        }

        return document;
    }

    private static List<string> ParsePayloads(string file, JsonElement root)
    {
        if (!root.TryGetProperty("payloads", out var payloads) || payloads.ValueKind != JsonValueKind.Array)
        {
            throw new ArtifactFormatException($"{file}: 'payloads' must be a list of payloads");
        }

        var types = new List<string>();
        foreach (var payload in payloads.EnumerateArray())
        {
            var field = $"payloads[{types.Count}]";
            JsonFields.RequireObject(file, field, payload);
            if (!payload.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.Null)
            {
                throw new ArtifactFormatException(
                    $"{file}: {field} has no type (an empty-payload bootstrap artifact); Mender clients 3.x refuse to install those");
            }

            var value = JsonFields.RequireString(file, $"{field}.type", type);
            if (value.Length == 0)
            {
                throw new ArtifactFormatException($"{file}: '{field}.type' is empty");
            }

            types.Add(value);
        }

        if (types.Count == 0)
        {
            throw new ArtifactFormatException($"{file}: 'payloads' is empty; an artifact needs at least one payload");
        }

        return types;
    }

    private static IReadOnlyList<string> OptionalPrintableList(string file, JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var values = JsonFields.RequireStringList(file, $"artifact_depends.{name}", element);
        foreach (var value in values)
        {
            JsonFields.RequirePrintable(file, $"artifact_depends.{name}", value);
        }

        return values;
    }
}
