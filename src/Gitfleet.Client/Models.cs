using System.Text.Json.Serialization;

namespace Gitfleet.Client;

/// <summary>What <c>GET /api/management/v1/gitfleet/info</c> says; absent on a Mender server.</summary>
public sealed record ServerInfo(string Name, string Version, IReadOnlyList<string> Features)
{
    public bool Supports(string feature) => Features.Contains(feature, StringComparer.Ordinal);
}

/// <summary>Which git change a deployment comes from (Gitfleet extension; a Mender server ignores it).</summary>
public sealed record DeploymentTrace(string? Branch, string? Commit, string? Author, string? Subject);

public sealed record NewDeployment
{
    public required string Name { get; init; }

    public required string ArtifactName { get; init; }

    /// <summary>Device ids; leave empty and set <see cref="Group"/> for a group deployment.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    public string? Group { get; init; }

    public int Retries { get; init; }

    public DeploymentTrace? Trace { get; init; }
}

public sealed record ArtifactSummary(
    string Id,
    string Name,
    [property: JsonPropertyName("device_types_compatible")] IReadOnlyList<string> DeviceTypesCompatible,
    long Size,
    bool Signed,
    DateTimeOffset? Modified);

public sealed record DeploymentSummary(
    string Id,
    string Name,
    [property: JsonPropertyName("artifact_name")] string ArtifactName,
    string Status,
    DateTimeOffset Created,
    DateTimeOffset? Finished,
    [property: JsonPropertyName("device_count")] int DeviceCount,
    string? Type,
    string? Kind,
    DeploymentTrace? Trace);

/// <summary>One device's part in a deployment.</summary>
public sealed record DeviceDeploymentSummary(
    string Id,
    string Status,
    DateTimeOffset? Created,
    DateTimeOffset? Finished,
    [property: JsonPropertyName("device_type")] string? DeviceType,
    bool Log);
