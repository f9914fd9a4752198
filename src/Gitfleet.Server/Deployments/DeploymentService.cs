using Gitfleet.Core.Facts;
using Gitfleet.Server.Artifacts;
using Gitfleet.Server.Delivery;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Deployments;

/// <summary>
/// Deployments from creation to the last device report, keeping the in-memory pending index in step with the
/// store: a device is marked pending after its deployment is committed, and cleared only when the store says it
/// has nothing unfinished (guarded by a generation so a concurrent create is never lost).
/// </summary>
internal sealed class DeploymentService(
    IFleetStore store,
    DeviceService devices,
    OfferLinks links,
    DeltaOffers deltas,
    ArtifactService artifacts,
    InstallHolds holds,
    TimeProvider time,
    Metrics.ServerMetrics metrics)
{
    private const int MaxNameLength = 256;

    private static readonly string Reportable = string.Join(", ", DeviceDeploymentStates.Reportable.Select(StatusNames.Of));

    /// <summary>The refusal of a reported status no device may report (unknown, or one only the server sets).</summary>
    public static DomainException UnknownReport(string? status) => DomainException.Invalid($"unknown status '{status}'; expected one of: {Reportable}");

    public async Task<CreateDeploymentOutcome> CreateAsync(CreateDeploymentCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.IdempotencyKey is { } key && await store.FindDeploymentByIdempotencyKeyAsync(key, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            return new CreateDeploymentOutcome(earlier, Existing: true);
        }

        RequireText(command.Name, "name");
        RequireText(command.ArtifactName, "artifact_name");
        if (command.Retries is < 0 or > 100)
        {
            throw DomainException.Invalid("retries must be between 0 and 100");
        }

        var candidates = await store.ListArtifactsAsync(command.ArtifactName, includeGenerated: false, cancellationToken).ConfigureAwait(false);
        if (candidates.Count == 0)
        {
            throw DomainException.Unsatisfiable($"no artifact named '{command.ArtifactName}'");
        }

        var devices = await ResolveDevicesAsync(command, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var deploymentId = Guid.NewGuid().ToString();
        var rows = devices.Select(device => new DeviceDeploymentRecord
        {
            Id = Guid.NewGuid().ToString(),
            DeploymentId = deploymentId,
            DeviceId = device.Id,
            Status = DeviceDeploymentState.Pending,
            CreatedAt = now,
            DeviceType = device.DeviceType,
            ArtifactId = candidates.FirstOrDefault(a => device.DeviceType is { } type && a.DeviceTypes.Contains(type, StringComparer.Ordinal))?.Id,
        }).ToList();
        var deployment = new DeploymentRecord
        {
            Id = deploymentId,
            Name = command.Name,
            ArtifactName = command.ArtifactName,
            Kind = DeploymentKinds.Os,
            Status = DeploymentState.Pending,
            CreatedAt = now,
            DeviceCount = rows.Count,
            Retries = command.Retries,
            Group = command.Group,
            Trace = command.Trace,
            IdempotencyKey = command.IdempotencyKey,
        };
        return await CommitAsync(new NewDeployment(deployment, rows), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>deviceconfig deploy: a one-device configuration deployment with a generated mender-configure artifact.</summary>
    public async Task<CreateDeploymentOutcome> CreateConfigurationAsync(string deviceId, int retries, DeploymentTrace? trace, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && await store.FindDeploymentByIdempotencyKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            return new CreateDeploymentOutcome(earlier, Existing: true);
        }

        if (retries is < 0 or > 100)
        {
            throw DomainException.Invalid("retries must be between 0 and 100");
        }

        var device = await store.GetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"device {deviceId} not found");
        if (device.Status != AuthStatus.Accepted)
        {
            throw DomainException.Conflict($"device {deviceId} is {StatusNames.Of(device.Status)}, not accepted");
        }

        if (device.DeviceType is not { Length: > 0 } deviceType)
        {
            throw DomainException.Conflict($"device {deviceId} has not reported its device_type yet");
        }

        var configuration = await store.GetConfigurationAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (configuration?.Configured is not { } configured)
        {
            throw DomainException.Conflict($"device {deviceId} has no configuration to deploy; PUT one first");
        }

        var checksum = ConfigurationChecksum.Compute(configured);
        var deploymentId = Guid.NewGuid().ToString();
        var artifactName = DeploymentKinds.ConfigurationArtifactName(checksum, deploymentId);
        var artifact = await artifacts.GetOrCreateConfigurationArtifactAsync(artifactName, deviceType, configured, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var deployment = new DeploymentRecord
        {
            Id = deploymentId,
            Name = $"configuration for {deviceId}",
            ArtifactName = artifactName,
            Kind = DeploymentKinds.Configuration,
            Status = DeploymentState.Pending,
            CreatedAt = now,
            DeviceCount = 1,
            Retries = retries,
            Trace = trace,
            IdempotencyKey = idempotencyKey,
            ArtifactId = artifact.Id,
            Configuration = configured,
            ConfigurationChecksum = checksum,
        };
        var row = new DeviceDeploymentRecord
        {
            Id = Guid.NewGuid().ToString(),
            DeploymentId = deploymentId,
            DeviceId = deviceId,
            Status = DeviceDeploymentState.Pending,
            CreatedAt = now,
            DeviceType = deviceType,
            ArtifactId = artifact.Id,
        };
        var outcome = await CommitAsync(new NewDeployment(deployment, [row]), cancellationToken).ConfigureAwait(false);
        if (!outcome.Existing)
        {
            await store.SetConfigurationDeploymentAsync(deviceId, outcome.Deployment.Id, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>The check-in: null (204) when nothing is pending; answered from memory unless the index says otherwise.</summary>
    /// <param name="baseUri">Where the device reached the server: the download link is built under it.</param>
    public async ValueTask<DeploymentOffer?> NextAsync(Guid device, string? installedArtifact, string? deviceType, Uri baseUri, CancellationToken cancellationToken)
    {
        var deviceId = device.ToString();
        var generation = devices.PendingGeneration(deviceId);
        while (true)
        {
            var next = await store.GetNextForDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
            if (next is null)
            {
                devices.NothingPending(deviceId, generation);
                return null;
            }

            var (row, deployment) = (next.Device, next.Deployment);
            if (row.Status == DeviceDeploymentState.Pending && row.Attempts == 0 && installedArtifact == deployment.ArtifactName
                && !holds.IsForced(deployment.Trace?.Branch, deployment.ArtifactName))
            {
                await FinishAsync(row, DeviceDeploymentState.AlreadyInstalled, generation, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var artifact = await ChooseArtifactAsync(row, deployment, deviceType, cancellationToken).ConfigureAwait(false);
            if (artifact is null)
            {
                await FinishAsync(row, DeviceDeploymentState.NoArtifact, generation, cancellationToken).ConfigureAwait(false);
                continue;
            }

            switch (await deltas.ChooseAsync(row, deployment, artifact, deviceType ?? row.DeviceType, cancellationToken).ConfigureAwait(false))
            {
                case DeltaChoice.Wait:
                    return null;
                case DeltaChoice.Delta(var delta):
                    var (deltaUri, deltaExpires) = links.ForDelta(baseUri, row, delta);
                    return new DeploymentOffer(deployment.Id, artifact, deltaUri, deltaExpires) { Delta = delta };
            }

            var (uri, expires) = links.ForArtifact(baseUri, row, artifact);
            return new DeploymentOffer(deployment.Id, artifact, uri, expires);
        }
    }

    /// <summary>A device's status report (its text parsed at the API edge, where an unknown one is <see cref="UnknownReport"/>).</summary>
    public async Task ReportStatusAsync(string deviceId, string deploymentId, DeviceDeploymentState status, string? substate, CancellationToken cancellationToken)
    {
        if (!status.IsReportable())
        {
            throw UnknownReport(StatusNames.Of(status));
        }

        var view = await store.GetDeviceDeploymentAsync(deploymentId, deviceId, cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"deployment {deploymentId} not found for this device");
        var current = view.Device.Status;
        if (current == DeviceDeploymentState.Aborted)
        {
            throw DomainException.Conflict("the deployment was aborted");
        }

        if (current.IsFinished())
        {
            if (current == status)
            {
                return;
            }

            throw DomainException.Conflict($"the deployment already finished with status {StatusNames.Of(current)}");
        }

        var generation = devices.PendingGeneration(deviceId);
        var outcome = await store.UpdateDeviceStatusAsync(view.Device.Id, status, substate, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (outcome?.Device is { FinishedAt: { } finished } row && row.Status.IsFinished())
        {
            metrics.DeploymentFinished(outcome.Deployment.Kind, StatusNames.Of(row.Status), finished - (row.StartedAt ?? row.CreatedAt));
        }

        if (outcome is { DeviceStillHasUnfinished: false })
        {
            devices.NothingPending(deviceId, generation);
        }
    }

    public async Task SaveLogAsync(string deviceId, string deploymentId, IReadOnlyList<DeploymentLogMessage> messages, CancellationToken cancellationToken)
    {
        var view = await store.GetDeviceDeploymentAsync(deploymentId, deviceId, cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"deployment {deploymentId} not found for this device");
        await store.SaveLogAsync(view.Device.Id, messages, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="deploymentId"/> is one of the device's deployments and not finished (control-map requests).</summary>
    public async Task<bool> IsUnfinishedAsync(string deviceId, string deploymentId, CancellationToken cancellationToken) =>
        await store.GetDeviceDeploymentAsync(deploymentId, deviceId, cancellationToken).ConfigureAwait(false) is { } view
        && !view.Device.Status.IsFinished();

    /// <summary>Aborts a deployment; its devices find out at their next report (409) or check-in.</summary>
    public async Task AbortAsync(string deploymentId, CancellationToken cancellationToken)
    {
        var deployment = await store.GetDeploymentAsync(deploymentId, cancellationToken).ConfigureAwait(false)
            ?? throw DomainException.NotFound($"deployment {deploymentId} not found");
        if (deployment.Status == DeploymentState.Finished)
        {
            throw DomainException.Unsatisfiable($"deployment {deploymentId} already finished");
        }

        await store.AbortDeploymentAsync(deploymentId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    public Task<int> AbortDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        store.AbortDeviceAsync(deviceId, time.GetUtcNow(), cancellationToken);

    private async Task<CreateDeploymentOutcome> CommitAsync(NewDeployment deployment, CancellationToken cancellationToken)
    {
        var outcome = await store.CreateDeploymentAsync(deployment, cancellationToken).ConfigureAwait(false);
        if (!outcome.Existing)
        {
            devices.DeploymentsCommitted(deployment.Devices.Select(row => row.DeviceId));
        }

        return outcome;
    }

    private async Task FinishAsync(DeviceDeploymentRecord row, DeviceDeploymentState status, long generation, CancellationToken cancellationToken)
    {
        var outcome = await store.UpdateDeviceStatusAsync(row.Id, status, null, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (outcome is { DeviceStillHasUnfinished: false })
        {
            devices.NothingPending(row.DeviceId, generation);
        }
    }

    private async Task<ArtifactRecord?> ChooseArtifactAsync(DeviceDeploymentRecord row, DeploymentRecord deployment, string? deviceType, CancellationToken cancellationToken)
    {
        var type = deviceType ?? row.DeviceType;
        if (deployment.ArtifactId is null && deployment.Kind == DeploymentKinds.Configuration && deployment.Configuration is { } configuration && type is not null)
        {
            // The reconciler's configuration deployments (one per configuration, many devices) generate their
            // artifact per device type when a device first asks for it.
            return await artifacts.GetOrCreateConfigurationArtifactAsync(deployment.ArtifactName, type, configuration, cancellationToken).ConfigureAwait(false);
        }

        if (deployment.ArtifactId is { } fixedArtifact)
        {
            var generated = await store.GetArtifactAsync(fixedArtifact, cancellationToken).ConfigureAwait(false);
            return generated is not null && (type is null || generated.DeviceTypes.Contains(type, StringComparer.Ordinal)) ? generated : null;
        }

        var candidates = await store.ListArtifactsAsync(deployment.ArtifactName, includeGenerated: false, cancellationToken).ConfigureAwait(false);
        if (row.ArtifactId is { } chosen && candidates.FirstOrDefault(a => a.Id == chosen) is { } picked
            && (type is null || picked.DeviceTypes.Contains(type, StringComparer.Ordinal)))
        {
            return picked;
        }

        // No artifact of that name for the device's type: offer one anyway. The client checks compatibility
        // itself, refuses to install, and reports failure with the reason in the deployment log, which tells
        // an operator more than Mender's silent "noartifact".
        return (type is null ? null : candidates.FirstOrDefault(a => a.DeviceTypes.Contains(type, StringComparer.Ordinal)))
            ?? candidates.FirstOrDefault();
    }

    private async Task<IReadOnlyList<DeviceRecord>> ResolveDevicesAsync(CreateDeploymentCommand command, CancellationToken cancellationToken)
    {
        var selectors = (command.DeviceIds is { Count: > 0 } ? 1 : 0) + (command.Group is not null ? 1 : 0) + (command.AllDevices ? 1 : 0);
        if (selectors != 1)
        {
            throw DomainException.Invalid("give exactly one of: devices (a non-empty list), a group, or all_devices");
        }

        if (command.DeviceIds is { Count: > 0 } ids)
        {
            var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
            var found = await ListAllAsync(new DeviceQuery { Ids = distinct }, cancellationToken).ConfigureAwait(false);
            var unknown = distinct.Except(found.Select(d => d.Id), StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                throw DomainException.Invalid($"unknown device ids: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? ", ..." : "")}");
            }

            return found;
        }

        var query = command.Group is { } group
            ? new DeviceQuery { Group = group, Status = AuthStatus.Accepted }
            : new DeviceQuery { Status = AuthStatus.Accepted };
        var devices = await ListAllAsync(query, cancellationToken).ConfigureAwait(false);
        return devices.Count > 0 ? devices
            : throw DomainException.Invalid(command.Group is null ? "there are no accepted devices" : $"no accepted devices in group '{command.Group}'");
    }

    private async Task<List<DeviceRecord>> ListAllAsync(DeviceQuery query, CancellationToken cancellationToken)
    {
        var all = new List<DeviceRecord>();
        for (var page = 1; ; page++)
        {
            var batch = await store.ListDevicesAsync(query with { Page = page, PerPage = 1000 }, cancellationToken).ConfigureAwait(false);
            all.AddRange(batch.Items);
            if (batch.Items.Count < 1000)
            {
                return all;
            }
        }
    }

    private static void RequireText(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw DomainException.Invalid($"{field} is required");
        }

        if (value.Length > MaxNameLength)
        {
            throw DomainException.Invalid($"{field} is longer than {MaxNameLength} characters");
        }
    }
}
