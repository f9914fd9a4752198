using Gitfleet.Core.Facts;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// A deployment a rollout decision creates, named after the branch, commit and artifact; the engine writes it as a
/// pending deployment traced to the target's commit.
/// </summary>
/// <param name="Configuration">For a configuration deployment: the configuration it carries.</param>
public sealed record PlannedDeployment(string Id, DeploymentKind Kind, string Name, string ArtifactName, RenderedConfiguration? Configuration, IReadOnlyList<PlannedDevicePart> Devices);

/// <summary>One device's part of a planned deployment: its own id, and the artifact chosen for its device type (null: none matched).</summary>
public sealed record PlannedDevicePart(string Id, string DeviceId, string? DeviceType, string? ArtifactId);
