using System.Text.Json;
using Gitfleet.Artifacts.Json;

namespace Gitfleet.Artifacts.Reading;

/// <summary>
/// The parsed <c>headers/NNNN/type-info</c>: the payload type and its artifact_provides, artifact_depends and
/// clears_artifact_provides. <see cref="ClearsProvides"/> is null when the field is absent, which tells the
/// Mender client to drop every provide of the previously installed artifact.
/// </summary>
internal sealed record TypeInfo(
    string? Type,
    IReadOnlyDictionary<string, string> Provides,
    IReadOnlyDictionary<string, string> Depends,
    IReadOnlyList<string>? ClearsProvides)
{
    public static TypeInfo Parse(string file, ReadOnlyMemory<byte> json)
    {
        using var document = JsonFields.Parse(file, json);
        var root = document.RootElement;
        JsonFields.RequireObject(file, "", root);

        string? type = null;
        if (root.TryGetProperty("type", out var typeElement) && typeElement.ValueKind != JsonValueKind.Null)
        {
            type = JsonFields.RequireString(file, "type", typeElement);
        }

        var provides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("artifact_provides", out var providesElement) && providesElement.ValueKind != JsonValueKind.Null)
        {
            JsonFields.RequireObject(file, "artifact_provides", providesElement);
            foreach (var property in providesElement.EnumerateObject())
            {
                provides[property.Name] = JsonFields.RequireString(file, $"artifact_provides.{property.Name}", property.Value);
            }
        }

        var depends = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("artifact_depends", out var dependsElement) && dependsElement.ValueKind != JsonValueKind.Null)
        {
            JsonFields.RequireObject(file, "artifact_depends", dependsElement);
            foreach (var property in dependsElement.EnumerateObject())
            {
                depends[property.Name] = JsonFields.RequireStringOrList(file, $"artifact_depends.{property.Name}", property.Value);
            }
        }

        IReadOnlyList<string>? clears = null;
        if (root.TryGetProperty("clears_artifact_provides", out var clearsElement) && clearsElement.ValueKind != JsonValueKind.Null)
        {
            clears = JsonFields.RequireStringList(file, "clears_artifact_provides", clearsElement);
        }

        return new TypeInfo(type, provides, depends, clears);
    }
}
