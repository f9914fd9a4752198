namespace Gitfleet.Core.Reconcile;

/// <summary>
/// How often the server's git watcher may plan a branch again when only the fleet's facts changed (devices
/// registered, accepted or removed, inventories that can change membership) and the branch's head did not. Every
/// plan reads and plans the whole branch, so while devices keep arriving (a first-contact storm of 100,000
/// devices changes the facts every poll) planning on every change would spend the server on planning the same
/// commit over and over. A facts-only plan therefore waits until <see cref="CostFactor"/> times the last plan's
/// cost has passed since it ended: planning then takes at most a fifth of the watcher's time, and a small fleet
/// (plans of milliseconds) is planned at every poll as before. A new commit is planned at once, whatever the pace.
/// </summary>
public static class FactsReplanPacing
{
    /// <summary>How many times its own cost a facts-only plan waits after the last one ended.</summary>
    public const int CostFactor = 4;

    /// <summary>The earliest time a facts-only change may be planned, after a plan that ended at <paramref name="plannedAt"/> and took <paramref name="cost"/>.</summary>
    public static DateTimeOffset NextAllowed(DateTimeOffset plannedAt, TimeSpan cost) =>
        cost <= TimeSpan.Zero ? plannedAt : plannedAt + cost * CostFactor;

    /// <summary>Whether a change of the facts alone (the head is the last planned commit) may be planned at <paramref name="now"/>.</summary>
    public static bool MayPlan(DateTimeOffset now, DateTimeOffset plannedAt, TimeSpan cost) => now >= NextAllowed(plannedAt, cost);
}
