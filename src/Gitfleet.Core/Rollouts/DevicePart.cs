namespace Gitfleet.Core.Rollouts;

/// <summary>One device's part of a deployment.</summary>
public sealed record DevicePart(string DeploymentId, string DeviceId);
