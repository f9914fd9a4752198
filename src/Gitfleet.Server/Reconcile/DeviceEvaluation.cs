using Gitfleet.Core.Facts;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Reconcile;

namespace Gitfleet.Server.Reconcile;

/// <summary>One target device compared with its facts (the planner's own comparison, <see cref="TargetComparison"/>).</summary>
internal sealed record DeviceEvaluation(DeviceFacts? Facts, OsAction Os, ConfigAction Configuration)
{
    /// <summary>The device is in the target but the server no longer knows it (decommissioned since).</summary>
    public bool Missing => Facts is null;

    /// <summary>Not as desired: a change is needed or on its way.</summary>
    public bool NeedsChange => Os.Kind is ActionKind.Update or ActionKind.InFlight || Configuration.Kind is ActionKind.Update or ActionKind.InFlight;

    /// <summary>Something must be scheduled (not already in flight).</summary>
    public bool NeedsSchedule => Os.Kind == ActionKind.Update || Configuration.Kind == ActionKind.Update;

    public bool InFlight => Os.Kind == ActionKind.InFlight || Configuration.Kind == ActionKind.InFlight;

    /// <summary>In-flight deployments that deliver the desired state (followed instead of scheduling again).</summary>
    public IEnumerable<string> DesiredInFlight(string image)
    {
        if (Facts is null)
        {
            yield break;
        }

        foreach (var flight in Facts.InFlight)
        {
            if ((flight.Kind == DeploymentKind.Os && Os.Kind == ActionKind.InFlight && flight.ArtifactName == image)
                || (flight.Kind == DeploymentKind.Configuration && Configuration.Kind == ActionKind.InFlight && flight.ConfigurationChecksum == Configuration.Checksum))
            {
                yield return flight.DeploymentId;
            }
        }
    }

    /// <summary>Compares every device of a target with the facts, on every core.</summary>
    public static DeviceEvaluation[] EvaluateAll(TargetIndex target, IReadOnlyDictionary<string, DeviceFacts> facts)
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

            var os = TargetComparison.CompareOs(device, target.ImageFor(i));
            var configuration = target.ConfigurationFor(i) is { } desired
                ? TargetComparison.CompareConfiguration(device, desired, os.Kind == ActionKind.Update)
                : ConfigAction.Nothing;
            result[i] = new DeviceEvaluation(device, os, configuration);
        });
        return result;
    }
}
