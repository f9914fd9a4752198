using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// The deployments one rollout decision creates: one OS deployment per image with its devices, one configuration
/// deployment per distinct configuration with its devices (its artifact is generated per device type when a
/// device first asks), every one traced to the target's commit. OS deployments come first, so a device installs
/// the image before the configuration written for it. Ids are version 7 GUIDs (time-ordered) and rows come in
/// device order, so the store's indexes grow at neighbouring pages instead of random ones.
/// </summary>
internal sealed class DeploymentBatch(TargetIndex target, DateTimeOffset now)
{
    private readonly Dictionary<string, Group> images = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Group> configurations = [];
    private readonly List<ConfiguredWrite> configured = [];

    private DeploymentTrace Trace => new(target.Branch, target.Commit.Sha, target.Commit.Author, target.Commit.Subject);

    public IReadOnlyList<ConfiguredWrite> Configured => configured;

    public IEnumerable<string> DeviceIds => images.Values.Concat(configurations.Values).SelectMany(g => g.Rows).Select(r => r.DeviceId);

    /// <summary>Adds a device to the deployment of <paramref name="image"/>; returns that deployment's id.</summary>
    public string AddOs(string image, string deviceId, string? deviceType, IReadOnlyList<ArtifactRecord> candidates)
    {
        if (!images.TryGetValue(image, out var group))
        {
            group = new Group(Guid.CreateVersion7().ToString(), Header(image, DeploymentKinds.Os));
            images[image] = group;
        }

        group.Rows.Add(Row(group.Id, deviceId, deviceType, group.ArtifactFor(deviceType, candidates)));
        return group.Id;
    }

    /// <summary>Adds a device to the deployment of configuration <paramref name="index"/> and records it as the device's configured map.</summary>
    public string AddConfiguration(int index, string deviceId, string? deviceType)
    {
        if (!configurations.TryGetValue(index, out var group))
        {
            var configuration = target.Configurations[index];
            var id = Guid.CreateVersion7().ToString();
            group = new Group(id, Header(DeploymentKinds.ConfigurationArtifactName(configuration.Checksum, id), DeploymentKinds.Configuration) with
            {
                Configuration = configuration.Values,
                ConfigurationChecksum = configuration.Checksum,
                SecretKeys = configuration.SecretKeys.Order(StringComparer.Ordinal).ToList(),
            });
            configurations[index] = group;
        }

        group.Rows.Add(Row(group.Id, deviceId, deviceType, null));
        configured.Add(new ConfiguredWrite(deviceId, group.Header.Configuration!, group.Id));
        return group.Id;
    }

    public IReadOnlyList<NewDeployment> Build() =>
        images.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)
            .Concat(configurations.OrderBy(kv => kv.Key).Select(kv => kv.Value))
            .Select(g => new NewDeployment(g.Header with { Id = g.Id, DeviceCount = g.Rows.Count }, RolloutWork.Sorted(g.Rows, r => r.DeviceId)))
            .ToList();

    private DeviceDeploymentRecord Row(string deploymentId, string deviceId, string? deviceType, string? artifactId) => new()
    {
        Id = Guid.CreateVersion7().ToString(),
        DeploymentId = deploymentId,
        DeviceId = deviceId,
        Status = DeviceDeploymentStatus.Pending,
        CreatedAt = now,
        DeviceType = deviceType,
        ArtifactId = artifactId,
    };

    /// <summary>The deployment record every group of this batch starts from: named after the branch, commit and artifact, traced.</summary>
    private DeploymentRecord Header(string artifactName, string kind) => new()
    {
        Id = "",
        Name = $"{target.Branch} @ {target.Commit.ShortSha}: {artifactName}",
        ArtifactName = artifactName,
        Kind = kind,
        Status = DeploymentStatus.Pending,
        CreatedAt = now,
        DeviceCount = 0,
        Trace = Trace,
    };

    private sealed record Group(string Id, DeploymentRecord Header)
    {
        private readonly Dictionary<string, string?> artifacts = new(StringComparer.Ordinal);

        public List<DeviceDeploymentRecord> Rows { get; } = [];

        /// <summary>The artifact of the image for a device type (looked up once per type).</summary>
        public string? ArtifactFor(string? deviceType, IReadOnlyList<ArtifactRecord> candidates)
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
