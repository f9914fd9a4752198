using System.Text.Json;
using Gitfleet.Artifacts;

namespace Gitfleet.Simulator.Artifacts;

/// <summary>What a simulated device needs to know about an artifact it was offered: read once per artifact.</summary>
internal sealed record ArtifactFacts
{
    public const string ConfigurationType = "mender-configure";

    public required string Name { get; init; }

    public required IReadOnlyList<string> DeviceTypes { get; init; }

    public required string PayloadType { get; init; }

    /// <summary>Provides other than artifact_name (rootfs-image.version, artifact_group, ...).</summary>
    public required IReadOnlyDictionary<string, string> Provides { get; init; }

    public required IReadOnlyList<string> ClearsProvides { get; init; }

    public bool ClearsAllProvides { get; init; }

    /// <summary>The configuration (meta-data) of a mender-configure artifact; null for other types.</summary>
    public IReadOnlyDictionary<string, string>? Configuration { get; init; }

    public required long Size { get; init; }

    /// <summary>SHA-256 of the whole artifact file: a resumed download must hash to this.</summary>
    public required byte[] Sha256 { get; init; }

    public bool IsConfiguration => PayloadType == ConfigurationType;

    /// <summary>Root filesystem updates reboot into the new image and run its health check before committing.</summary>
    public bool Reboots => PayloadType is "rootfs-image" or "gitfleet-ab" or "gitfleet-delta";

    public static ArtifactFacts From(ArtifactInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var payload = info.Payloads.Count > 0 ? info.Payloads[0] : null;
        var type = payload?.Type ?? "";
        return new ArtifactFacts
        {
            Name = info.Name,
            DeviceTypes = info.DeviceTypesCompatible,
            PayloadType = type,
            Provides = info.Provides.Where(p => p.Key != "artifact_name").ToDictionary(StringComparer.Ordinal),
            ClearsProvides = info.ClearsProvides,
            ClearsAllProvides = info.ClearsAllProvides,
            Configuration = type == ConfigurationType ? ParseFlatMap(payload?.MetaData) : null,
            Size = info.Size,
            Sha256 = Convert.FromHexString(info.Checksum ?? throw new InvalidOperationException("the artifact reader reported no checksum")),
        };
    }

    /// <summary>A mender-configure meta-data object: string values kept, numbers and booleans as their text.</summary>
    private static Dictionary<string, string> ParseFlatMap(string? json)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return map;
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return map;
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        return map;
    }
}
