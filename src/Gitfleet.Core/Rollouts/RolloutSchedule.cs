using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>The devices that share a set of windows, and whether those are open now.</summary>
public sealed record ScheduleWindows(IReadOnlyList<string> Windows, int Devices, WindowState State);

/// <summary>
/// What a policy does with today's fleet if the branch were applied now (<c>gitfleet plan</c>): the waves with
/// their estimated start and end, the devices per set of maintenance windows with the windows' state, and the
/// blackout days ahead. Estimates assume every device takes <see cref="DeviceTime"/>.
/// </summary>
public sealed record RolloutSchedule(
    int Devices,
    TimeSpan DeviceTime,
    IReadOnlyList<WaveForecast> Waves,
    IReadOnlyList<ScheduleWindows> Windows,
    IReadOnlyList<BlackoutPeriod> Blackouts,
    bool Paused)
{
    /// <param name="deviceWindows">For each device that changes, the names of its windows (null or empty: any time).</param>
    public static RolloutSchedule For(RolloutPolicy policy, IReadOnlyList<IReadOnlyList<string>?> deviceWindows, bool paused, DateTimeOffset now, TimeSpan deviceTime)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(deviceWindows);
        var groups = deviceWindows
            .GroupBy(w => w is { Count: > 0 } ? string.Join('\n', w) : "", StringComparer.Ordinal)
            .Select(g => (Names: g.Key.Length == 0 ? (IReadOnlyList<string>)[] : g.Key.Split('\n'), Devices: g.Count()))
            .OrderByDescending(g => g.Devices).ThenBy(g => string.Join(',', g.Names), StringComparer.Ordinal)
            .Select(g =>
            {
                var calendar = MaintenanceCalendar.For(WindowAssignment.Named(policy.Windows, g.Names), policy.Blackouts, policy.TimeZone);
                return (Calendar: calendar, Row: new ScheduleWindows(g.Names, g.Devices, calendar.StateAt(now)));
            })
            .ToList();
        var total = deviceWindows.Count;
        var waves = total == 0 ? [] : RolloutForecast.Estimate(new ForecastInput
        {
            Policy = policy,
            Now = now,
            DeviceTime = deviceTime,
            WaveSizes = Enumerable.Range(0, policy.Waves.Count).Select(w => RolloutPlanner.WaveSize(policy, w, total)).Distinct().ToList(),
            Calendar = groups.Count > 0 ? groups[0].Calendar : null,
        });
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return new RolloutSchedule(
            total,
            deviceTime,
            waves,
            groups.Select(g => g.Row).ToList(),
            policy.Blackouts.Where(b => b.To >= today.AddDays(-1)).OrderBy(b => b.From).ToList(),
            paused);
    }
}
