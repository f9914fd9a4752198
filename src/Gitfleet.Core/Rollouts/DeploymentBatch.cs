using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// The deployments one rollout decision creates: one OS deployment per image with its devices, one configuration
/// deployment per distinct configuration with its devices (its artifact is generated per device type when a
/// device first asks). OS deployments come first, so a device installs the image before the configuration written
/// for it. Ids are version 7 GUIDs (time-ordered) and parts come in device order, so the store's indexes grow at
/// neighbouring pages instead of random ones.
/// </summary>
/// <param name="newId">Makes the deployments' and parts' ids (version 7 GUIDs unless given).</param>
public sealed class DeploymentBatch(TargetIndex target, Func<Guid>? newId = null)
{
    private readonly Dictionary<string, Group> images = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Group> configurations = [];
    private readonly List<ConfiguredWrite> configured = [];
    private readonly Func<Guid> newId = newId ?? Guid.CreateVersion7;

    /// <summary>The devices' configured (desired) maps, in the order they were added.</summary>
    public IReadOnlyList<ConfiguredWrite> Configured => configured;

    public IEnumerable<string> DeviceIds => images.Values.Concat(configurations.Values).SelectMany(g => g.Parts).Select(r => r.DeviceId);

    /// <summary>Adds a device to the deployment of <paramref name="image"/>; returns that deployment's id.</summary>
    public string AddOs(string image, string deviceId, string? deviceType, IReadOnlyList<ImageArtifact> candidates)
    {
        if (!images.TryGetValue(image, out var group))
        {
            group = new Group(NewId(), DeploymentKind.Os, image, null);
            images[image] = group;
        }

        group.Parts.Add(new PlannedDevicePart(NewId(), deviceId, deviceType, group.ArtifactFor(deviceType, candidates)));
        return group.Id;
    }

    /// <summary>Adds a device to the deployment of configuration <paramref name="index"/> and records it as the device's configured map.</summary>
    public string AddConfiguration(int index, string deviceId, string? deviceType)
    {
        if (!configurations.TryGetValue(index, out var group))
        {
            var configuration = target.Configurations[index];
            var id = NewId();
            group = new Group(id, DeploymentKind.Configuration, ConfigurationArtifactName.Of(configuration.Checksum, id), configuration);
            configurations[index] = group;
        }

        group.Parts.Add(new PlannedDevicePart(NewId(), deviceId, deviceType, null));
        configured.Add(new ConfiguredWrite(deviceId, group.Configuration!.Values, group.Id));
        return group.Id;
    }

    /// <summary>The deployments: OS images by name, then configurations in target order; each one's parts in device order.</summary>
    public IReadOnlyList<PlannedDeployment> Build() =>
        images.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)
            .Concat(configurations.OrderBy(kv => kv.Key).Select(kv => kv.Value))
            .Select(g => new PlannedDeployment(g.Id, g.Kind, $"{target.Branch} @ {target.Commit.ShortSha}: {g.ArtifactName}", g.ArtifactName, g.Configuration, OrdinalOrder.Sorted(g.Parts, r => r.DeviceId)))
            .ToList();

    private string NewId() => newId().ToString();

    private sealed record Group(string Id, DeploymentKind Kind, string ArtifactName, Resolution.RenderedConfiguration? Configuration)
    {
        private readonly Dictionary<string, string?> artifacts = new(StringComparer.Ordinal);

        public List<PlannedDevicePart> Parts { get; } = [];

        /// <summary>The artifact of the image for a device type (looked up once per type).</summary>
        public string? ArtifactFor(string? deviceType, IReadOnlyList<ImageArtifact> candidates)
        {
            if (deviceType is null)
            {
                return null;
            }

            if (!artifacts.TryGetValue(deviceType, out var id))
            {
                id = candidates.FirstOrDefault(a => a.DeviceTypes.Contains(deviceType, StringComparer.Ordinal))?.Id;
                artifacts[deviceType] = id;
            }

            return id;
        }
    }
}
