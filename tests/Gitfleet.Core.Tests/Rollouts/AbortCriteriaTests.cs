using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Abort criteria: failure kinds, minimum samples, counts and shares, each action; and completeAt.</summary>
public sealed class AbortCriteriaTests
{
    private static AbortRule Rule(FailureKind? on, Quantity threshold, int minFinished, AbortAction action) => new(on, threshold, minFinished, action);

    [Theory]
    [InlineData(8, 1, false, "9 finished: below minFinished, not judged")]
    [InlineData(0, 9, false, "every finished device failed, but too few finished")]
    [InlineData(9, 1, true, "1 of 10 is 10%")]
    [InlineData(19, 1, false, "1 of 20 is 5%")]
    [InlineData(18, 2, true, "2 of 20 is 10%")]
    public void A_share_is_judged_only_after_the_minimum_finished(int succeeded, int failed, bool trips, string why)
    {
        var verdict = AbortCriteria.Judge([Rule(FailureKind.Failed, Quantity.Percent(10), 10, AbortAction.Pause)], new WaveOutcomes(succeeded, failed, 0, 0));
        (verdict is not null).ShouldBe(trips, why);
    }

    [Fact]
    public void Kinds_are_counted_apart_and_any_counts_them_all()
    {
        var outcomes = new WaveOutcomes(Succeeded: 7, Failed: 1, TimedOut: 1, Rejected: 1);
        AbortCriteria.Judge([Rule(FailureKind.Failed, Quantity.Count(2), 1, AbortAction.Abort)], outcomes).ShouldBeNull();
        AbortCriteria.Judge([Rule(FailureKind.TimedOut, Quantity.Count(2), 1, AbortAction.Abort)], outcomes).ShouldBeNull();
        AbortCriteria.Judge([Rule(FailureKind.Rejected, Quantity.Count(1), 1, AbortAction.Abort)], outcomes)!.Failures.ShouldBe(1);
        var any = AbortCriteria.Judge([Rule(null, Quantity.Percent(30), 10, AbortAction.Abort)], outcomes);
        any.ShouldNotBeNull();
        (any.Failures, any.Finished).ShouldBe((3, 10));
    }

    [Theory]
    [InlineData(AbortAction.Pause, "pause")]
    [InlineData(AbortAction.Abort, "abort")]
    [InlineData(AbortAction.Revert, "revert")]
    public void The_first_rule_that_trips_acts_with_its_action(AbortAction action, string name)
    {
        var rules = new[]
        {
            Rule(FailureKind.TimedOut, Quantity.Count(1), 1, AbortAction.Pause),
            Rule(FailureKind.Failed, Quantity.Count(2), 5, action),
            Rule(null, Quantity.Count(1), 1, AbortAction.Abort),
        };
        var verdict = AbortCriteria.Judge(rules, new WaveOutcomes(3, 2, 0, 0))!;
        verdict.Rule.ShouldBeSameAs(rules[1]);
        verdict.Describe().ShouldBe($"2 of 5 finished devices of the wave failed (threshold 2, at least 5 finished): {name}");
    }

    [Fact]
    public void No_failures_never_trip_and_outcomes_add_up()
    {
        AbortCriteria.Judge([Rule(null, Quantity.Percent(0.01), 1, AbortAction.Abort)], new WaveOutcomes(1000, 0, 0, 0)).ShouldBeNull();
        var outcomes = WaveOutcomes.None.Add(null).Add(FailureKind.TimedOut).Add(FailureKind.Rejected).Add(FailureKind.Failed);
        outcomes.ShouldBe(new WaveOutcomes(1, 1, 1, 1));
        outcomes.Finished.ShouldBe(4);
    }

    [Theory]
    [InlineData(1000, 99, 990)]
    [InlineData(10, 99, 10)]
    [InlineData(101, 99, 100)]
    [InlineData(1, 50, 1)]
    [InlineData(0, 99, 0)]
    [InlineData(200, 100, 200)]
    public void CompleteAt_requires_its_share_of_the_wave_rounded_up(int waveSize, double percent, int required)
    {
        WaveCompletion.Required(waveSize, Quantity.Percent(percent)).ShouldBe(required);
        WaveCompletion.IsComplete(waveSize, required, Quantity.Percent(percent)).ShouldBeTrue();
        if (required > 0)
        {
            WaveCompletion.IsComplete(waveSize, required - 1, Quantity.Percent(percent)).ShouldBeFalse();
        }

        WaveCompletion.Stragglers(waveSize, required).ShouldBe(waveSize - required);
    }
}
