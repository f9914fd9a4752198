namespace Gitfleet.Core.Rollouts;

/// <summary>One device of a branch's rollout, with the deployments of its current attempt (the row the store keeps).</summary>
public sealed record RolloutDeviceRecord(
    string DeviceId,
    RolloutDeviceState State,
    int Attempts,
    IReadOnlyList<string> Deployments,
    string? LastError,
    DateTimeOffset ChangedAt);
