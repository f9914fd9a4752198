namespace Gitfleet.Core.Fleet;

/// <summary>
/// A branch's budget for bytes over the air (gitfleet.yml <c>rollout.byteBudget</c>): devices are admitted into
/// downloading only while their downloads fit in the current wave's budget and in the budget of the last hour;
/// <c>validate</c> and <c>plan</c> warn when a change would move more than <see cref="WarnAbove"/>.
/// </summary>
public sealed record ByteBudgetPolicy
{
    public static readonly ByteBudgetPolicy None = new();

    /// <summary>At most this many bytes admitted per wave; null for no limit.</summary>
    public long? PerWave { get; init; }

    /// <summary>At most this many bytes admitted in any hour (a budget that refills continuously); null for no limit.</summary>
    public long? PerHour { get; init; }

    /// <summary>Warn (validate, plan) when a change moves more than this in total; null for no warning.</summary>
    public long? WarnAbove { get; init; }

    public bool LimitsAdmission => PerWave is not null || PerHour is not null;
}
