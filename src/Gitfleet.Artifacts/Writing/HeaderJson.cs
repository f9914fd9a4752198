using System.Buffers;
using System.Text.Json;

namespace Gitfleet.Artifacts.Writing;

/// <summary>Writes header-info and type-info JSON, compact, with map keys in ordinal order (as Go marshals maps).</summary>
internal static class HeaderJson
{
    public static void WriteHeaderInfo(IBufferWriter<byte> output, ArtifactPlan plan)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteStartArray("payloads"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, plan.PayloadType);
        json.WriteEndObject();
        json.WriteEndArray();

        json.WriteStartObject("artifact_provides"u8);
        json.WriteString("artifact_name"u8, plan.Name);
        if (plan.ArtifactGroup is not null)
        {
            json.WriteString("artifact_group"u8, plan.ArtifactGroup);
        }

        json.WriteEndObject();

        json.WriteStartObject("artifact_depends"u8);
        WriteListIfAny(json, "artifact_name", plan.DependsOnArtifactNames);
        WriteListIfAny(json, "device_type", plan.DeviceTypes);
        WriteListIfAny(json, "artifact_group", plan.DependsOnGroups);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static void WriteTypeInfo(IBufferWriter<byte> output, ArtifactPlan plan)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("type"u8, plan.PayloadType);
        WriteMapIfAny(json, "artifact_provides", plan.Provides);
        WriteMapIfAny(json, "artifact_depends", plan.Depends);
        if (plan.ClearsProvides is { Count: > 0 } clears)
        {
            WriteListIfAny(json, "clears_artifact_provides", clears);
        }

        json.WriteEndObject();
    }

    /// <summary>A flat JSON object of string values, keys in ordinal order.</summary>
    public static void WriteStringMap(IBufferWriter<byte> output, IReadOnlyDictionary<string, string> values)
    {
        using var json = new Utf8JsonWriter(output);
        WriteMap(json, values);
    }

    private static void WriteListIfAny(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteMapIfAny(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WritePropertyName(name);
        WriteMap(json, values);
    }

    private static void WriteMap(Utf8JsonWriter json, IReadOnlyDictionary<string, string> values)
    {
        json.WriteStartObject();
        foreach (var key in values.Keys.Order(StringComparer.Ordinal))
        {
            json.WriteString(key, values[key]);
        }

        json.WriteEndObject();
    }
}
