using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Rollouts;

/// <summary>Scheduling the devices the planner chose: deployments for what they need, or their state when they need nothing.</summary>
public sealed partial class RolloutWork
{
    /// <summary>Images the devices to schedule need deployed (their artifacts are looked up before <see cref="Schedule"/>).</summary>
    public IReadOnlySet<string> ImagesFor(IEnumerable<string> deviceIds) =>
        deviceIds.Select(id => target.TryFind(id, out var i) && (evaluations[i].Os.Kind == ActionKind.Update || IsForced(id)) ? target.ImageFor(i) : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Creates the deployments for the devices the planner scheduled; <paramref name="artifacts"/> holds each image's artifacts (<see cref="ImagesFor"/>).</summary>
    public void Schedule(IReadOnlyList<string> deviceIds, IReadOnlyDictionary<string, IReadOnlyList<ImageArtifact>> artifacts)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        ArgumentNullException.ThrowIfNull(artifacts);
        batch ??= new DeploymentBatch(target, newId);
        foreach (var id in deviceIds)
        {
            if (target.TryFind(id, out var i) && Rows.TryGetValue(id, out var row))
            {
                Schedule(i, row, artifacts);
            }
        }
    }

    private void Schedule(int i, RolloutDeviceRecord row, IReadOnlyDictionary<string, IReadOnlyList<ImageArtifact>> artifacts)
    {
        var id = row.DeviceId;
        var evaluation = evaluations[i];
        var image = target.ImageFor(i);
        if (evaluation.Missing)
        {
            Set(row with { State = RolloutDeviceState.Aborted, Deployments = [], LastError = "the device no longer exists on the server" });
            return;
        }

        var forced = ForcedReinstall.Is(row) && evaluation.Os.Kind == ActionKind.None;
        if (!evaluation.NeedsSchedule && !forced)
        {
            if (evaluation.InFlight)
            {
                memory.Started(id, now);
            }

            Set(evaluation.InFlight
                ? row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = evaluation.DesiredInFlight(image), LastError = null }
                : row with { State = RolloutDeviceState.Succeeded, LastError = null });
            return;
        }

        var tracked = new List<string>(2);
        var deviceType = evaluation.Facts!.DeviceType;
        if (evaluation.Os.Kind == ActionKind.Update || forced)
        {
            if (artifacts.GetValueOrDefault(image) is not { Count: > 0 } candidates)
            {
                Set(row with
                {
                    State = RolloutDeviceState.Failed,
                    Attempts = row.Attempts + 1,
                    Deployments = [],
                    LastError = $"no artifact named '{image}' on the server (upload it; a retry or resume picks it up)",
                });
                return;
            }

            tracked.Add(batch!.AddOs(image, id, deviceType, candidates));
        }

        if (evaluation.Configuration.Kind == ActionKind.Update)
        {
            tracked.Add(batch!.AddConfiguration(target.ConfigurationOf[i], id, deviceType));
        }

        tracked.AddRange(evaluation.DesiredInFlight(image));
        memory.Started(id, now, prices?.GetValueOrDefault(id));
        Set(row with { State = RolloutDeviceState.Scheduled, Attempts = row.Attempts + 1, Deployments = tracked, LastError = forced ? row.LastError : null });
    }
}
