namespace Gitfleet.Core.Rollouts;

/// <summary>
/// The rules every rollout step shares, each defined once: a device "failed for good" (its last attempt failed and no
/// retry is left), is "due" (waiting, or failed with a retry left), is "done" (succeeded, aborted or failed for good),
/// and is "offline" (silent longer than the offline timeout).
/// </summary>
public static class RolloutRules
{
    public static bool FailedForGood(RolloutDeviceState state, int attempts, int retries) =>
        state == RolloutDeviceState.Failed && attempts > retries;

    public static bool RetryLeft(RolloutDeviceState state, int attempts, int retries) =>
        state == RolloutDeviceState.Failed && attempts <= retries;

    public static bool IsDue(RolloutDeviceState state, int attempts, int retries) =>
        state == RolloutDeviceState.Waiting || RetryLeft(state, attempts, retries);

    public static bool IsDone(RolloutDeviceState state, int attempts, int retries) =>
        state is RolloutDeviceState.Succeeded or RolloutDeviceState.Aborted || FailedForGood(state, attempts, retries);

    public static bool IsOffline(DateTimeOffset? lastCheckIn, DateTimeOffset now, TimeSpan offlineTimeout) =>
        lastCheckIn is null || now - lastCheckIn.Value > offlineTimeout;
}
