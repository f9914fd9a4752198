namespace Gitfleet.Core.Rollouts;

/// <summary>The window state of each calendar at one instant, computed once per decision.</summary>
internal sealed class WindowLookup(IReadOnlyDictionary<string, MaintenanceCalendar> calendars, DateTimeOffset now)
{
    private readonly Dictionary<string, WindowState> states = new(StringComparer.Ordinal);

    /// <summary>The state for a device's calendar key; devices without one (or with an unknown one) may install any time.</summary>
    public WindowState For(string? key)
    {
        if (key is null || !calendars.TryGetValue(key, out var calendar))
        {
            return WindowState.AlwaysOpen;
        }

        if (!states.TryGetValue(key, out var state))
        {
            state = calendar.StateAt(now);
            states[key] = state;
        }

        return state;
    }
}
