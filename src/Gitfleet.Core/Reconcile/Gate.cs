namespace Gitfleet.Core.Reconcile;

/// <summary>The result of a promotion gate: pass, or the reasons why not, and whether waiting may still help.</summary>
public sealed record GateResult(bool Passed, bool Final, IReadOnlyList<string> Reasons);

/// <summary>
/// The check required on a merge request canary → production: the stage converged on the commit (with at least
/// the required share of its devices; failures only within the budget that share leaves), no device drifted, and it stayed so for the soak time since the
/// rollout completed.
/// </summary>
public static class Gate
{
    /// <summary>How many failed devices a failing gate names (the branch status lists up to 100).</summary>
    private const int MaxNamedDevices = 10;

    public static GateResult Evaluate(BranchStatus status, string? commit, double minSuccessPercent, TimeSpan soak, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        var reasons = new List<string>();
        var final = false;
        var applied = status.AppliedCommit?.Sha;
        if (status.Conditions.FirstOrDefault(c => c.Type == StatusCondition.Stalled) is { Status: true } stalled)
        {
            reasons.Add($"branch '{status.Branch}' is stalled: {stalled.Message}");
        }

        if (commit is not null && (applied is null || !applied.StartsWith(commit, StringComparison.OrdinalIgnoreCase)))
        {
            reasons.Add($"branch '{status.Branch}' runs {Short(applied)}, not {Short(commit)}");
        }

        var devices = status.Devices;
        var eligible = devices.Total - devices.Problems;
        if (eligible <= 0)
        {
            reasons.Add($"branch '{status.Branch}' has no device to prove the change on");
            final = true;
        }
        else
        {
            var success = 100.0 * devices.Converged / eligible;
            // Below 100%, --min-success is the failure budget: a device that failed for its own reasons (a dead
            // SD card in a 5,000-device canary) must not block production forever.
            if (devices.Failed > 0 && success + 1e-9 < minSuccessPercent)
            {
                reasons.Add($"{devices.Failed} of {eligible} devices failed");
                foreach (var issue in status.Issues.Where(i => i.State == "failed").Take(MaxNamedDevices))
                {
                    reasons.Add($"device {issue.Device} failed: {issue.Reason}");
                }

                final = devices.Pending + devices.InProgress == 0;
            }

            if (devices.Modified > 0)
            {
                reasons.Add($"{devices.Modified} devices drifted from the desired state");
                foreach (var issue in status.Issues.Where(i => i.State == "modified").Take(MaxNamedDevices))
                {
                    reasons.Add($"device {issue.Device} drifted: {issue.Reason}");
                }
            }

            if (success + 1e-9 < minSuccessPercent)
            {
                reasons.Add($"{devices.Converged} of {eligible} devices converged ({success:F1}%), {minSuccessPercent:F1}% required");
            }
        }

        if (reasons.Count == 0)
        {
            var since = status.Rollout?.CompletedAt;
            if (since is null)
            {
                reasons.Add("the rollout has not completed");
            }
            else if (now - since.Value < soak)
            {
                reasons.Add($"soaking: healthy since {since.Value:u}, {(soak - (now - since.Value)).TotalMinutes:F0} more minutes needed");
            }
        }

        return new GateResult(reasons.Count == 0, final && reasons.Count > 0, reasons);
    }

    private static string Short(string? sha) => sha is null ? "nothing" : sha.Length > 12 ? sha[..12] : sha;
}
