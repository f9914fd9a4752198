namespace Gitfleet.Client.Applying;

/// <summary>What applying did for one device: scheduled an OS update or a configuration, aborted stale work, or failed.</summary>
public sealed record ApplyOutcome(string Device, string Action, bool Succeeded, string Message)
{
    public string? DeploymentId { get; init; }
}
