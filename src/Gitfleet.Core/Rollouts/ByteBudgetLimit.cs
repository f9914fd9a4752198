using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>
/// byteBudget as a start limit (<see cref="ByteBudget"/>): a device starts only while its download fits the
/// hourly budget (the bytes of the devices that started within the last hour) and the wave's budget (the bytes of
/// the devices in progress and online). Devices are priced by <see cref="RolloutInput.DownloadBytes"/>. The first
/// device that does not fit stops every later one (no overtaking, so a big download is not starved).
/// </summary>
internal sealed class ByteBudgetLimit : IStartLimit
{
    private static readonly HashSet<string> NoneFinished = new(StringComparer.Ordinal);
    private readonly ByteBudgetMeter? meter;
    private readonly IReadOnlyDictionary<string, long> bytes;
    private DeviceWait? full;

    public ByteBudgetLimit(ByteBudgetPolicy policy, IReadOnlyDictionary<string, long> bytes, IEnumerable<RolloutDevice> devices, Func<RolloutDevice, bool> inProgress, int wave, DateTimeOffset now)
    {
        this.bytes = bytes;
        if (!policy.LimitsAdmission)
        {
            return;
        }

        // In-progress devices count against the wave (wave number = the current one); the rest only against the hour.
        var admitted = devices.Where(d => d.StartedAt is not null && (inProgress(d) || d.StartedAt > now - ByteBudget.Hour))
            .Select(d => new ByteAdmission(d.Key, bytes.GetValueOrDefault(d.Key), d.StartedAt!.Value, inProgress(d) ? wave : -1))
            .ToList();
        meter = new ByteBudgetMeter(policy, admitted, NoneFinished, wave, now);
    }

    /// <summary>When the hourly budget has room for the device held back (the engine wakes then); null when none was, or only finishing devices free room.</summary>
    public DateTimeOffset? BlockedUntil { get; private set; }

    public DeviceWait? Check(RolloutDevice device)
    {
        if (meter is null || full is not null)
        {
            return full;
        }

        var need = bytes.GetValueOrDefault(device.Key);
        if (meter.Refusal(need) is not { } why)
        {
            return null;
        }

        BlockedUntil = meter.HourlyRoomAt(need);
        full = new DeviceWait(WaitReason.Budget, BlockedUntil, why);
        return full;
    }

    public void Started(RolloutDevice device) => meter?.Admit(device.Key, bytes.GetValueOrDefault(device.Key));
}
