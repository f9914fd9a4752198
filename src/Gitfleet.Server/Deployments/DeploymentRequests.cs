using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Deployments;

/// <summary>A request to deploy an OS artifact: to listed devices, a group, or all accepted devices.</summary>
public sealed record CreateDeploymentCommand
{
    public required string Name { get; init; }

    public required string ArtifactName { get; init; }

    public IReadOnlyList<string>? DeviceIds { get; init; }

    public string? Group { get; init; }

    public bool AllDevices { get; init; }

    public int Retries { get; init; }

    public DeploymentTrace? Trace { get; init; }

    public string? IdempotencyKey { get; init; }
}

/// <summary>What a device is offered by next: the deployment id, the artifact and a download link (to the delta, when one is offered).</summary>
public sealed record DeploymentOffer(string DeploymentId, ArtifactRecord Artifact, string Uri, DateTimeOffset Expires)
{
    /// <summary>The delta the link points to instead of the full artifact, if any.</summary>
    public DeltaRecord? Delta { get; init; }
}
