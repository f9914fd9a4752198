using System.Text.Json;
using Gitfleet.Artifacts.Json;

namespace Gitfleet.Artifacts.Writing;

/// <summary>
/// Validates definitions and turns them into <see cref="ArtifactPlan"/>s. The rules are the reader's, so that
/// whatever the writer produces, <see cref="ArtifactReader"/>, mender-artifact and the Mender client accept.
/// </summary>
internal static class ArtifactPlans
{
    public const string RootfsImageType = "rootfs-image";

    private static readonly string[] RootfsClears = ["artifact_group", "rootfs_image_checksum", "rootfs-image.*"];
    private static readonly HashSet<string> HeaderProvides = ["artifact_name", "artifact_group"];
    private static readonly HashSet<string> HeaderDepends = ["artifact_name", "artifact_group", "device_type"];

    public static ArtifactPlan FromModuleImage(ModuleImageDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        RequireMenderString(definition.Type, "payload type");
        var plan = new ArtifactPlan(
            definition.Name,
            definition.DeviceTypes,
            string.IsNullOrEmpty(definition.ArtifactGroup) ? null : definition.ArtifactGroup,
            definition.DependsOnArtifactNames,
            definition.DependsOnGroups,
            definition.Type,
            definition.Provides,
            definition.Depends,
            definition.ClearsProvides,
            definition.MetaData is { Count: > 0 } metaData ? JsonSerializer.SerializeToUtf8Bytes(metaData) : null,
            WriteEmptyMetaData: false,
            definition.Files);
        Validate(plan);
        return plan;
    }

    /// <summary>The rootfs plan needs the image checksum for its rootfs-image.checksum provide.</summary>
    public static ArtifactPlan FromRootfsImage(RootfsImageDefinition definition, string imageChecksum)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var provides = new Dictionary<string, string>(definition.Provides, StringComparer.Ordinal)
        {
            ["rootfs-image.version"] = definition.SoftwareVersion ?? definition.Name,
            ["rootfs-image.checksum"] = imageChecksum,
        };
        var plan = new ArtifactPlan(
            definition.Name,
            definition.DeviceTypes,
            string.IsNullOrEmpty(definition.ArtifactGroup) ? null : definition.ArtifactGroup,
            definition.DependsOnArtifactNames,
            definition.DependsOnGroups,
            RootfsImageType,
            provides,
            definition.Depends,
            RootfsClears,
            MetaData: null,
            WriteEmptyMetaData: true,
            [definition.Image]);
        Validate(plan);
        return plan;
    }

    /// <summary>Checks what a definition's caller controls; throws <see cref="ArgumentException"/> naming the field.</summary>
    public static void ValidateHeader(string name, IReadOnlyList<string> deviceTypes)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("the artifact name must not be empty", nameof(name));
        }

        RequireMenderString(name, "artifact name");
        if (deviceTypes is null || deviceTypes.Count == 0)
        {
            throw new ArgumentException("an artifact needs at least one device type", nameof(deviceTypes));
        }

        foreach (var deviceType in deviceTypes)
        {
            if (string.IsNullOrEmpty(deviceType))
            {
                throw new ArgumentException("device types must not be empty", nameof(deviceTypes));
            }

            RequireMenderString(deviceType, "device type");
        }
    }

    private static void Validate(ArtifactPlan plan)
    {
        ValidateHeader(plan.Name, plan.DeviceTypes);
        if (plan.ArtifactGroup is not null)
        {
            RequireMenderString(plan.ArtifactGroup, "artifact group");
        }

        foreach (var value in plan.DependsOnArtifactNames.Concat(plan.DependsOnGroups))
        {
            RequireMenderString(value, "artifact_depends value");
        }

        RequireKeys(plan.Provides, HeaderProvides, "provides");
        RequireKeys(plan.Depends, HeaderDepends, "depends");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in plan.Files)
        {
            if (!names.Add(file.Name))
            {
                throw new ArgumentException($"the payload has two files named '{file.Name}'", nameof(plan));
            }
        }
    }

    private static void RequireKeys(IReadOnlyDictionary<string, string> values, HashSet<string> reserved, string what)
    {
        foreach (var key in values.Keys)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException($"a {what} key is empty", nameof(values));
            }

            if (reserved.Contains(key))
            {
                throw new ArgumentException(
                    $"'{key}' cannot be a payload {what} key: it belongs to header-info (use the definition's own property)", nameof(values));
            }
        }
    }

    private static void RequireMenderString(string value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"the {what} must not be empty", nameof(value));
        }

        if (MenderStrings.Problem(value) is { } problem)
        {
            throw new ArgumentException($"the {what} {problem}", nameof(value));
        }
    }
}
