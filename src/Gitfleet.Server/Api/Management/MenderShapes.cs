using System.Text.Json;
using System.Text.Json.Serialization;
using Gitfleet.Artifacts;
using Gitfleet.Server.Artifacts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Api.Management;

/// <summary>The JSON shapes of Mender's management APIs (devauth v2, inventory, deployments v1), built from store records.</summary>
internal static class MenderShapes
{
    public static DevAuthDevice DevAuth(DeviceRecord device, IEnumerable<AuthSetRecord> authSets) => new(
        device.Id,
        device.Identity,
        StatusNames.Of(device.Status),
        device.CreatedAt,
        device.UpdatedAt,
        authSets.Select(a => new AuthSetShape(a.Id, a.PublicKey, device.Identity, StatusNames.Of(a.Status), a.CreatedAt)).ToList(),
        Decommissioning: false);

    public static InventoryDevice Inventory(DeviceRecord device, IEnumerable<AttributeRecord> attributes, DateTimeOffset? lastCheckIn)
    {
        // Values captured from check-ins (scope provides) show as inventory, unless the device reports the name itself.
        var all = attributes.ToList();
        var reported = all.Where(a => a.Scope == AttributeScope.Inventory).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var list = all.Where(a => a.Scope != AttributeScope.Provides || !reported.Contains(a.Name))
            .Select(a => new InventoryAttribute(a.Name, Value(a.Values), a.Scope == AttributeScope.Provides ? AttributeScope.Inventory : a.Scope)).ToList();
        list.Add(new InventoryAttribute("status", JsonSerializer.SerializeToElement(StatusNames.Of(device.Status)), AttributeScope.Identity));
        list.Add(new InventoryAttribute("created_ts", JsonSerializer.SerializeToElement(device.CreatedAt), AttributeScope.System));
        list.Add(new InventoryAttribute("updated_ts", JsonSerializer.SerializeToElement(device.UpdatedAt), AttributeScope.System));
        if (device.Group is { } group)
        {
            list.Add(new InventoryAttribute("group", JsonSerializer.SerializeToElement(group), AttributeScope.System));
        }

        if (lastCheckIn is { } checkIn)
        {
            list.Add(new InventoryAttribute("check_in_time", JsonSerializer.SerializeToElement(checkIn), AttributeScope.System));
        }

        return new InventoryDevice(device.Id, list, device.UpdatedAt);
    }

    public static ArtifactShape Artifact(ArtifactRecord artifact)
    {
        var info = artifact.Metadata;
        var provides = new Dictionary<string, string>(StringComparer.Ordinal) { ["artifact_name"] = artifact.Name };
        foreach (var (key, value) in info.Provides)
        {
            provides[key] = value;
        }

        var depends = new Dictionary<string, object>(StringComparer.Ordinal) { ["device_type"] = artifact.DeviceTypes };
        foreach (var (key, value) in info.Depends)
        {
            depends[key] = value;
        }

        return new ArtifactShape(
            artifact.Id,
            artifact.Name,
            artifact.Description,
            artifact.DeviceTypes,
            new ArtifactFormat("mender", info.FormatVersion),
            artifact.Signed,
            info.Payloads.Select(p => new ArtifactUpdate(new TypeInfo(p.Type), p.Files.Select(f => new ArtifactFileShape(f.Name, f.Checksum, f.Size, artifact.CreatedAt)).ToList())).ToList(),
            provides,
            depends,
            info.ClearsProvides,
            artifact.Size,
            artifact.CreatedAt);
    }

    public static DeploymentShape Deployment(DeploymentRecord deployment, IReadOnlyDictionary<DeviceDeploymentState, long>? statistics = null, IReadOnlyList<string>? artifactIds = null) => new(
        deployment.Id,
        deployment.Name,
        deployment.ArtifactName,
        deployment.CreatedAt,
        deployment.FinishedAt,
        StatusNames.Of(deployment.Status),
        deployment.DeviceCount,
        artifactIds ?? (deployment.ArtifactId is { } id ? [id] : []),
        deployment.Group is { } group ? [group] : null,
        deployment.Kind == DeploymentKinds.Configuration ? "configuration" : "software",
        deployment.Retries,
        deployment.Kind,
        Trace(deployment.Trace),
        deployment.ConfigurationChecksum,
        statistics is null ? null : new DeploymentStatistics(Statistics(statistics)));

    public static Dictionary<string, long> Statistics(IReadOnlyDictionary<DeviceDeploymentState, long> counts)
    {
        var all = DeviceDeploymentStates.All.ToDictionary(StatusNames.Of, _ => 0L, StringComparer.Ordinal);
        foreach (var (status, count) in counts)
        {
            all[StatusNames.Of(status)] = count;
        }

        return all;
    }

    public static DeviceDeploymentShape DeviceDeployment(DeviceDeploymentRecord row) => new(
        row.DeviceId, StatusNames.Of(row.Status), row.CreatedAt, row.StartedAt, row.FinishedAt, row.DeviceType, row.HasLog, row.Substate, row.Attempts);

    public static TraceShape? Trace(DeploymentTrace? trace) => trace is null ? null : new TraceShape(trace.Branch, trace.Commit, trace.Author, trace.Subject);

    /// <summary>An attribute's value as Mender shows it: a string, or a list for several values.</summary>
    private static JsonElement Value(IReadOnlyList<string> values) =>
        values.Count == 1 ? JsonSerializer.SerializeToElement(values[0]) : JsonSerializer.SerializeToElement(values);
}

internal sealed record DevAuthDevice(
    string Id, IReadOnlyDictionary<string, string> IdentityData, string Status, DateTimeOffset CreatedTs, DateTimeOffset UpdatedTs,
    IReadOnlyList<AuthSetShape> AuthSets, bool Decommissioning);

internal sealed record AuthSetShape(string Id, string Pubkey, IReadOnlyDictionary<string, string> IdentityData, string Status, DateTimeOffset Ts);

internal sealed record InventoryDevice(string Id, IReadOnlyList<InventoryAttribute> Attributes, DateTimeOffset UpdatedTs);

internal sealed record InventoryAttribute(string Name, JsonElement Value, string Scope);

internal sealed record ArtifactShape(
    string Id, string Name, string Description, IReadOnlyList<string> DeviceTypesCompatible, ArtifactFormat Info, bool Signed,
    IReadOnlyList<ArtifactUpdate> Updates, IReadOnlyDictionary<string, string> ArtifactProvides, IReadOnlyDictionary<string, object> ArtifactDepends,
    IReadOnlyList<string> ClearsArtifactProvides, long Size, DateTimeOffset Modified);

internal sealed record ArtifactFormat(string Format, int Version);

internal sealed record ArtifactUpdate(TypeInfo TypeInfo, IReadOnlyList<ArtifactFileShape> Files);

internal sealed record TypeInfo(string Type);

internal sealed record ArtifactFileShape(string Name, string Checksum, long Size, DateTimeOffset Date);

internal sealed record DeploymentShape(
    string Id, string Name, string ArtifactName, DateTimeOffset Created, DateTimeOffset? Finished, string Status, int DeviceCount,
    IReadOnlyList<string> Artifacts, IReadOnlyList<string>? Groups, string Type, int Retries, string Kind, TraceShape? Trace,
    string? ConfigurationChecksum, DeploymentStatistics? Statistics);

internal sealed record DeploymentStatistics(IReadOnlyDictionary<string, long> Status);

internal sealed record DeviceDeploymentShape(
    string Id, string Status, DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Finished, string? DeviceType, bool Log,
    string? Substate, int Attempts);

internal sealed record DeviceHistoryEntry(string Id, DeploymentShape Deployment, DeviceDeploymentShape Device);

internal sealed record TraceShape(string? Branch, string? Commit, string? Author, string? Subject);

/// <summary>Mender's v1 release: note the capitalised names.</summary>
internal sealed record ReleaseShape(
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("Artifacts")] IReadOnlyList<ArtifactShape> Artifacts,
    [property: JsonPropertyName("ArtifactsCount")] int ArtifactsCount);
