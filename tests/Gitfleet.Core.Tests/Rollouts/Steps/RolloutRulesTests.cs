using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts.Steps;

/// <summary>The rules every rollout step shares, once: failed for good, retry left, due, done, offline.</summary>
public sealed class RolloutRulesTests
{
    [Theory]
    [InlineData(RolloutDeviceState.Waiting, 0, false, false, true, false)]
    [InlineData(RolloutDeviceState.Scheduled, 1, false, false, false, false)]
    [InlineData(RolloutDeviceState.Succeeded, 1, false, false, false, true)]
    [InlineData(RolloutDeviceState.Aborted, 1, false, false, false, true)]
    [InlineData(RolloutDeviceState.Failed, 1, false, true, true, false)]
    [InlineData(RolloutDeviceState.Failed, 2, false, true, true, false)]
    [InlineData(RolloutDeviceState.Failed, 3, true, false, false, true)]
    public void A_device_with_two_retries_is_failed_for_good_due_or_done_by_its_state_and_attempts(RolloutDeviceState state, int attempts, bool failedForGood, bool retryLeft, bool due, bool done)
    {
        RolloutRules.FailedForGood(state, attempts, 2).ShouldBe(failedForGood);
        RolloutRules.RetryLeft(state, attempts, 2).ShouldBe(retryLeft);
        RolloutRules.IsDue(state, attempts, 2).ShouldBe(due);
        RolloutRules.IsDone(state, attempts, 2).ShouldBe(done);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(-3601, true)]
    [InlineData(-3600, false)]
    [InlineData(-5, false)]
    public void A_device_is_offline_when_it_never_checked_in_or_was_silent_longer_than_the_timeout(int? secondsAgo, bool offline)
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        RolloutRules.IsOffline(secondsAgo is { } s ? now.AddSeconds(s) : null, now, TimeSpan.FromHours(1)).ShouldBe(offline);
    }
}
