using System.Text.Json;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>The answer to a check-in: a deployment for the device (all four fields are required, as the client requires them).</summary>
internal sealed record Offer(string DeploymentId, string ArtifactKey, string ArtifactName, string Uri, IReadOnlyList<string> DeviceTypes)
{
    /// <summary>Parses the 200 body of next; null when a required field is missing (the client rejects such an answer).</summary>
    public static Offer? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (!Text(root, "id", out var id) || !root.TryGetProperty("artifact", out var artifact) || artifact.ValueKind != JsonValueKind.Object
                || !Text(artifact, "artifact_name", out var name) || !artifact.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
                || !Text(source, "uri", out var uri)
                || !artifact.TryGetProperty("device_types_compatible", out var types) || types.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var deviceTypes = types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList();
            var key = Text(artifact, "id", out var artifactId) ? artifactId : name + "|" + string.Join(',', deviceTypes);
            return new Offer(id, key, name, uri, deviceTypes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Text(JsonElement element, string name, out string value)
    {
        value = element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String ? property.GetString()! : "";
        return value.Length > 0;
    }
}
