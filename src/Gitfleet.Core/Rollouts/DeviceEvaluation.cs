using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;

namespace Gitfleet.Core.Rollouts;

/// <summary>One target device compared with its facts (the planner's own comparison, <see cref="TargetComparison"/>).</summary>
public sealed record DeviceEvaluation(DeviceFacts? Facts, OsAction Os, ConfigAction Configuration)
{
    /// <summary>The device is in the target but the server no longer knows it (decommissioned since).</summary>
    public bool Missing => Facts is null;

    /// <summary>Not as desired: a change is needed or on its way.</summary>
    public bool NeedsChange => Os.Kind is ActionKind.Update or ActionKind.InFlight || Configuration.Kind is ActionKind.Update or ActionKind.InFlight;

    /// <summary>Something must be scheduled (not already in flight).</summary>
    public bool NeedsSchedule => Os.Kind == ActionKind.Update || Configuration.Kind == ActionKind.Update;

    public bool InFlight => Os.Kind == ActionKind.InFlight || Configuration.Kind == ActionKind.InFlight;

    /// <summary>In-flight deployments that deliver the desired state (followed instead of scheduling again).</summary>
    public IReadOnlyList<string> DesiredInFlight(string image)
    {
        if (Facts is not { InFlight.Count: > 0 })
        {
            return [];
        }

        var ids = new List<string>(Facts.InFlight.Count);
        foreach (var flight in Facts.InFlight)
        {
            if ((flight.Kind == DeploymentKind.Os && Os.Kind == ActionKind.InFlight && flight.ArtifactName == image)
                || (flight.Kind == DeploymentKind.Configuration && Configuration.Kind == ActionKind.InFlight && flight.ConfigurationChecksum == Configuration.Checksum))
            {
                ids.Add(flight.DeploymentId);
            }
        }

        return ids;
    }

    /// <summary>
    /// Compares every device of a target with the facts, on every core. With the evaluations of the same target
    /// from the previous decision, a device whose compared facts are the same instances (the observed-state read
    /// keeps them when nothing changed) keeps its evaluation: a no-op decision compares almost nothing.
    /// </summary>
    public static DeviceEvaluation[] EvaluateAll(TargetIndex target, IReadOnlyDictionary<string, DeviceFacts> facts, DeviceEvaluation[]? previous = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(facts);
        var result = new DeviceEvaluation[target.Count];
        Parallel.For(0, target.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            if (!facts.TryGetValue(target.DeviceIds[i], out var device))
            {
                result[i] = new DeviceEvaluation(null, OsAction.Nothing, ConfigAction.Nothing);
                return;
            }

            if (previous is not null && previous[i].Facts is { } before && SameComparison(before, device))
            {
                result[i] = ReferenceEquals(before, device) ? previous[i] : previous[i] with { Facts = device };
                return;
            }

            var os = TargetComparison.CompareOs(device, target.ImageFor(i));
            var configuration = target.ConfigurationFor(i) is { } desired
                ? TargetComparison.CompareConfiguration(device, desired, os.Kind == ActionKind.Update)
                : ConfigAction.Nothing;
            result[i] = new DeviceEvaluation(device, os, configuration);
        });
        return result;
    }

    /// <summary>Same inputs to <see cref="TargetComparison"/>: status, installed image, reported configuration and in-flight deployments.</summary>
    private static bool SameComparison(DeviceFacts before, DeviceFacts now) =>
        ReferenceEquals(before, now)
        || (before.Status == now.Status && ReferenceEquals(before.Attributes, now.Attributes) && before.ArtifactName == now.ArtifactName
            && ReferenceEquals(before.ReportedConfiguration, now.ReportedConfiguration) && ReferenceEquals(before.InFlight, now.InFlight));
}
