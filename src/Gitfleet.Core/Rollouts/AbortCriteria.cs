using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>How the current wave's finished devices ended, by failure kind.</summary>
public sealed record WaveOutcomes(int Succeeded, int Failed, int TimedOut, int Rejected)
{
    public static readonly WaveOutcomes None = new(0, 0, 0, 0);

    public int Finished => Succeeded + Failed + TimedOut + Rejected;

    public int Failures(FailureKind? kind) => kind switch
    {
        FailureKind.Failed => Failed,
        FailureKind.TimedOut => TimedOut,
        FailureKind.Rejected => Rejected,
        _ => Failed + TimedOut + Rejected,
    };

    public WaveOutcomes Add(FailureKind? failure) => failure switch
    {
        null => this with { Succeeded = Succeeded + 1 },
        FailureKind.TimedOut => this with { TimedOut = TimedOut + 1 },
        FailureKind.Rejected => this with { Rejected = Rejected + 1 },
        _ => this with { Failed = Failed + 1 },
    };
}

/// <summary>An abort rule that tripped, with the figures that tripped it.</summary>
public sealed record AbortVerdict(AbortRule Rule, int Failures, int Finished)
{
    public string Describe() =>
        $"{Failures} of {Finished} finished devices of the wave {(Rule.On is { } kind ? AbortRule.KindName(kind) : "failed")} (threshold {Rule.Threshold}, at least {Rule.MinFinished} finished): {AbortRule.ActionName(Rule.Action)}";
}

/// <summary>
/// Abort criteria as a pure rule: rules are judged in order on the current wave's finished devices; a rule is
/// only judged once at least <c>minFinished</c> devices finished; a count threshold trips at that many failures
/// of its kind, a percentage at that share of the finished devices. The first rule that trips acts. Failures an
/// operator acknowledged by resuming a paused rollout no longer count.
/// </summary>
public static class AbortCriteria
{
    public static AbortVerdict? Judge(IReadOnlyList<AbortRule> rules, WaveOutcomes outcomes, WaveOutcomes? acknowledged = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(outcomes);
        var finished = outcomes.Finished;
        foreach (var rule in rules)
        {
            var failures = outcomes.Failures(rule.On) - (acknowledged?.Failures(rule.On) ?? 0);
            if (finished < rule.MinFinished || failures == 0)
            {
                continue;
            }

            var tripped = rule.Threshold.IsPercent
                ? failures * 100.0 >= rule.Threshold.Value * finished - 1e-9
                : failures >= rule.Threshold.Value;
            if (tripped)
            {
                return new AbortVerdict(rule, failures, finished);
            }
        }

        return null;
    }
}
