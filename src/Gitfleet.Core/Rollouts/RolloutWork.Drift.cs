namespace Gitfleet.Core.Rollouts;

/// <summary>Drift, superseded deployments and stopping the rollout.</summary>
public sealed partial class RolloutWork
{
    /// <summary>
    /// Devices that were converged for this target and now differ with nothing in flight drifted (Modified);
    /// with <paramref name="correct"/> they are enrolled again. Returns how many were enrolled.
    /// </summary>
    public int CorrectDrift(bool correct)
    {
        if (!correct)
        {
            return 0;
        }

        var enrolled = 0;
        for (var i = 0; i < target.Count; i++)
        {
            if (ClassificationState(i) == RolloutDeviceState.Succeeded && evaluations[i] is { Missing: false, NeedsChange: true, InFlight: false })
            {
                var id = target.DeviceIds[i];
                Set(new RolloutDeviceRecord(id, RolloutDeviceState.Waiting, 0, [], "drifted from the desired state: " + DriftDescription.Of(evaluations[i], target.ImageFor(i)), now));
                enrolled++;
            }
        }

        ReopenIfNeeded();
        return enrolled;
    }

    /// <summary>In-flight deployments to something the target no longer wants are aborted (the planner's supersedes).</summary>
    public void AbortSuperseded()
    {
        for (var i = 0; i < target.Count; i++)
        {
            var evaluation = evaluations[i];
            foreach (var deployment in evaluation.Os.Supersedes.Concat(evaluation.Configuration.Supersedes))
            {
                aborts.Add(new DevicePart(deployment, target.DeviceIds[i]));
            }
        }
    }

    /// <summary>Stops the rollout: unfinished deployments of its devices are aborted, devices not done are left out.</summary>
    public void Abort(string reason)
    {
        foreach (var row in Rows.Values.ToList())
        {
            if (row.State == RolloutDeviceState.Scheduled && target.TryFind(row.DeviceId, out var i))
            {
                AbortInFlight(i, row);
            }

            if (row.State is RolloutDeviceState.Scheduled || RolloutRules.IsDue(row.State, row.Attempts, target.Policy.Retries))
            {
                Set(row with { State = RolloutDeviceState.Aborted, LastError = reason });
            }
        }

        Progress = Progress with { Aborted = true };
    }
}
