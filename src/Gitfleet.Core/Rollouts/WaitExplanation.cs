namespace Gitfleet.Core.Rollouts;

/// <summary>Why each device waits, how many scheduled devices are held before installing, and when that changes next.</summary>
internal sealed record Explanation(Dictionary<string, DeviceWait> Waits, int Held, DateTimeOffset? Wake);

/// <summary>
/// Explains a decision per device: devices past the current wave wait for it (or for the soak), due devices a
/// start limit held back wait for that limit, and scheduled devices that have not begun installing are held
/// while their window is closed or the rollout is paused (the server answers their control map with pause).
/// </summary>
internal static class WaitExplanation
{
    /// <param name="beyond">What devices past <paramref name="waveSize"/> wait for (their wave, the soak, a pause).</param>
    /// <param name="blocked">Due devices a start limit held back, with the limit's reason.</param>
    /// <param name="starting">Devices scheduled by this decision.</param>
    public static Explanation Explain(
        IReadOnlyList<RolloutDevice> devices, WindowLookup windows, DeviceWait beyond, int waveSize, Func<RolloutDevice, bool> isDone, bool paused,
        IReadOnlyDictionary<string, DeviceWait>? blocked = null, IReadOnlyList<string>? starting = null)
    {
        var waits = new Dictionary<string, DeviceWait>(StringComparer.Ordinal);
        var startingNow = starting is { Count: > 0 } ? new HashSet<string>(starting, StringComparer.Ordinal) : null;
        var windowWaits = new Dictionary<(string? Name, DateTimeOffset? Until), DeviceWait>();
        var held = 0;
        DateTimeOffset? wake = null;
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            var scheduled = device.State == RolloutDeviceState.Scheduled || (startingNow?.Contains(device.Key) ?? false);
            if (scheduled)
            {
                if (device.State == RolloutDeviceState.Scheduled && device.Phase is not (UpdatePhase.Pending or UpdatePhase.Downloading or UpdatePhase.Paused))
                {
                    continue;
                }

                var window = windows.For(device.Windows);
                if (!paused && window.Until is { } change && (wake is null || change < wake))
                {
                    wake = change;
                }

                if (paused)
                {
                    waits[device.Key] = beyond;
                    held++;
                }
                else if (!window.Open)
                {
                    if (!windowWaits.TryGetValue((window.Window, window.Until), out var wait))
                    {
                        wait = new DeviceWait(WaitReason.Window, window.Until, window.Window);
                        windowWaits[(window.Window, window.Until)] = wait;
                    }

                    waits[device.Key] = wait;
                    held++;
                }

                continue;
            }

            if (isDone(device))
            {
                continue;
            }

            if (blocked is not null && blocked.TryGetValue(device.Key, out var limit))
            {
                waits[device.Key] = limit;
            }
            else if (i >= waveSize)
            {
                waits[device.Key] = beyond;
            }
        }

        return new Explanation(waits, held, wake);
    }
}
