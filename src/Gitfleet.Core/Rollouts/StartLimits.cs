namespace Gitfleet.Core.Rollouts;

/// <summary>
/// One limit on starting devices in a decision (maxConcurrent, pacing, byteBudget, dependsOn: all of the same
/// shape). The planner asks each limit, in order, about each due device in wave order; the first that says no
/// gives the device's wait reason. A limit may stop every later device (a full slot count) or only this one.
/// </summary>
internal interface IStartLimit
{
    /// <summary>Null when this limit lets <paramref name="device"/> start now, else why it waits.</summary>
    DeviceWait? Check(RolloutDevice device);

    /// <summary><paramref name="device"/> starts: count it.</summary>
    void Started(RolloutDevice device);
}

/// <summary>maxConcurrent: at most this many devices in progress (offline ones hold no slot).</summary>
internal sealed class ConcurrencyLimit(int slots) : IStartLimit
{
    private static readonly DeviceWait Full = new(WaitReason.Concurrency);
    private int left = slots;

    public DeviceWait? Check(RolloutDevice device) => left > 0 ? null : Full;

    public void Started(RolloutDevice device) => left--;
}

/// <summary>Pacing: the starts left in the sliding minute; when none, devices wait until the next one is allowed.</summary>
internal sealed class PacingLimit(PacingAllowance allowance) : IStartLimit
{
    private readonly DeviceWait used = new(WaitReason.Pacing, allowance.NextAt, $"{allowance.RatePerMinute} per minute");
    private int left = allowance.Available;

    /// <summary>When a device held back by pacing may start (the engine wakes then); null while none was held back.</summary>
    public DateTimeOffset? BlockedUntil { get; private set; }

    public DeviceWait? Check(RolloutDevice device)
    {
        if (left > 0)
        {
            return null;
        }

        BlockedUntil = allowance.NextAt;
        return used;
    }

    public void Started(RolloutDevice device) => left--;
}

/// <summary>dependsOn: a device waits while a group it depends on has unfinished, online devices in the rollout.</summary>
internal sealed class DependencyLimit(
    IReadOnlyList<RolloutDevice> devices,
    IReadOnlyDictionary<string, IReadOnlyList<string>> dependsOn,
    Func<RolloutDevice, bool> isDone,
    Func<RolloutDevice, bool> isOffline) : IStartLimit
{
    private readonly HashSet<string>? unfinished = dependsOn.Count == 0 ? null : Unfinished(devices, isDone, isOffline);

    public DeviceWait? Check(RolloutDevice device)
    {
        if (unfinished is null)
        {
            return null;
        }

        foreach (var group in device.Groups)
        {
            if (dependsOn.TryGetValue(group, out var dependencies) && dependencies.FirstOrDefault(unfinished.Contains) is { } waitingFor)
            {
                return new DeviceWait(WaitReason.DependsOn, null, $"group '{waitingFor}'");
            }
        }

        return null;
    }

    public void Started(RolloutDevice device)
    {
    }

    private static HashSet<string> Unfinished(IReadOnlyList<RolloutDevice> devices, Func<RolloutDevice, bool> isDone, Func<RolloutDevice, bool> isOffline)
    {
        var groups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            if (!isDone(device) && !isOffline(device))
            {
                groups.UnionWith(device.Groups);
            }
        }

        return groups;
    }
}
