using Gitfleet.Core.Diagnostics;

namespace Gitfleet.Core.Fleet;

/// <summary>
/// Repository-wide settings from <c>gitfleet.yml</c>: per-branch rollout policies and group dependencies.
/// Because the file travels with merges, a promotion carries its policy along.
/// </summary>
public sealed record FleetSettings(
    IReadOnlyDictionary<string, BranchPolicy> Branches,
    IReadOnlyDictionary<string, GroupPolicy> Groups)
{
    public static readonly FleetSettings Default = new(
        new Dictionary<string, BranchPolicy>(StringComparer.Ordinal),
        new Dictionary<string, GroupPolicy>(StringComparer.Ordinal));

    /// <summary>Per-image settings (<c>images.NAME.force</c>).</summary>
    public IReadOnlyDictionary<string, ImagePolicy> Images { get; init; } = new Dictionary<string, ImagePolicy>(StringComparer.Ordinal);

    public BranchPolicy PolicyFor(string branch) =>
        Branches.TryGetValue(branch, out var policy) ? policy : BranchPolicy.Default;

    /// <summary>Whether <paramref name="image"/> is installed even on devices that report it (Mender's force_installation).</summary>
    public bool IsForced(string image) => Images.TryGetValue(image, out var policy) && policy.Force;
}

/// <summary>Settings of one OS image.</summary>
public sealed record ImagePolicy(bool Force, SourceLocation Location);

/// <summary>How a branch's changes reach its devices.</summary>
public sealed record BranchPolicy
{
    public static readonly BranchPolicy Default = new();

    public RolloutPolicy Rollout { get; init; } = RolloutPolicy.AllAtOnce;

    /// <summary>Re-converge devices whose reported state drifted from the desired state (Rancher Fleet's correctDrift).</summary>
    public bool CorrectDrift { get; init; }

    /// <summary>Accept devices that ask to join and are not declared in git (otherwise they stay pending).</summary>
    public bool AutoAccept { get; init; }

    /// <summary>Declared pause (Rancher Fleet's <c>paused</c>): nothing new is scheduled while it is true.</summary>
    public bool Paused { get; init; }

    public SourceLocation? Location { get; init; }
}

/// <summary>
/// Waves, concurrency, failure threshold, retries, soak and offline timeout of a rollout
/// (docs/fleet-repository.md, "Rollout policy").
/// </summary>
public sealed record RolloutPolicy
{
    public static readonly RolloutPolicy AllAtOnce = new();

    /// <summary>Cumulative wave sizes, for example 1%, 10%, 50%, 100%. The last wave always covers everything.</summary>
    public IReadOnlyList<Quantity> Waves { get; init; } = [Quantity.Percent(100)];

    /// <summary>At most this many devices in progress at once; null for no limit.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Pause the rollout when failures reach this many devices (or percentage of the branch's devices).</summary>
    public Quantity? FailureThreshold { get; init; }

    /// <summary>Automatic retries per device after a failure.</summary>
    public int Retries { get; init; }

    /// <summary>Wait this long after a wave completed before starting the next.</summary>
    public TimeSpan Soak { get; init; } = TimeSpan.Zero;

    /// <summary>A device that has not checked in for this long stops blocking its wave.</summary>
    public TimeSpan OfflineTimeout { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A wave is complete when this share of its devices is done; the rest are followed as stragglers.</summary>
    public Quantity CompleteAt { get; init; } = Quantity.Percent(100);

    /// <summary>When devices may start installing; empty: any time (docs/fleet-repository.md, "Maintenance windows").</summary>
    public IReadOnlyList<MaintenanceWindow> Windows { get; init; } = [];

    /// <summary>Days on which no window opens (and, without windows, nothing starts).</summary>
    public IReadOnlyList<BlackoutPeriod> Blackouts { get; init; } = [];

    /// <summary>The time zone of blackout days for devices without a window; windows use their own.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Devices started per minute; null: as many as the other limits allow.</summary>
    public PacingPolicy? Pacing { get; init; }

    public PhaseTimeouts Timeouts { get; init; } = PhaseTimeouts.None;

    /// <summary>Abort criteria, judged per wave in order; the first that trips acts.</summary>
    public IReadOnlyList<AbortRule> Abort { get; init; } = [];

    /// <summary>Bytes over the air a rollout may move per wave and per hour (docs/fleet-repository.md, "Byte budget").</summary>
    public ByteBudgetPolicy ByteBudget { get; init; } = ByteBudgetPolicy.None;
}

/// <summary>Per-group settings: a group that depends on others converges after them (gateways before kiosks).</summary>
public sealed record GroupPolicy(IReadOnlyList<string> DependsOn, SourceLocation Location);

/// <summary>A count ("50") or a percentage ("10%").</summary>
public readonly record struct Quantity(double Value, bool IsPercent)
{
    public static Quantity Percent(double value) => new(value, true);

    public static Quantity Count(int value) => new(value, false);

    /// <summary>The number of devices this quantity means out of <paramref name="total"/> (percentages round up).</summary>
    public int Of(int total) =>
        IsPercent ? (int)Math.Min(total, Math.Ceiling(total * Value / 100.0 - 1e-9)) : (int)Math.Min(total, Value);

    public override string ToString() =>
        IsPercent ? $"{Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}%" : ((int)Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
