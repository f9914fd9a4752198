namespace Gitfleet.Core.Rollouts;

/// <summary>A device's configured (desired) configuration, written with the deployment that carries it.</summary>
public sealed record ConfiguredWrite(string DeviceId, IReadOnlyDictionary<string, string> Configuration, string DeploymentId);
