using Gitfleet.Core.Repository;

namespace Gitfleet.Core.Reconcile;

/// <summary>
/// What one branch at one commit wants for each device it subscribes: the OS image and the configuration
/// (deduplicated by checksum: a fleet has few distinct configurations), with the rollout policy, the group
/// dependencies, the devices to preauthorize, and the devices left alone with the reason. `gitfleet apply`
/// sends it to a Gitfleet server (POST /api/management/v1/gitfleet/branches/{branch}/target); the server's git
/// watcher builds the same document in-process. It carries secret values: send it over TLS, never log it.
/// </summary>
public sealed record BranchTarget
{
    public const string CurrentSchema = "gitfleet.target/v1";

    public string Schema { get; init; } = CurrentSchema;

    public required string Branch { get; init; }

    public required CommitInfo Commit { get; init; }

    /// <summary>Hash of the fleet files: the same commit content applied twice is recognised as the same.</summary>
    public string ContentHash { get; init; } = "";

    public RolloutPolicyDocument Policy { get; init; } = RolloutPolicyDocument.From(Fleet.RolloutPolicy.AllAtOnce);

    public bool CorrectDrift { get; init; }

    public bool AutoAccept { get; init; }

    /// <summary><c>paused: true</c> in gitfleet.yml: nothing new starts, devices not installing yet are held.</summary>
    public bool Paused { get; init; }

    /// <summary>Set when the server made this target to revert a rollout: the commit it reverts, and why.</summary>
    public TargetRevert? RevertOf { get; init; }

    /// <summary>Images installed even on devices that report them (<c>images.NAME.force</c>).</summary>
    public IReadOnlyList<string> ForcedImages { get; init => field = value ?? []; } = [];

    /// <summary>Group → groups it depends on (gitfleet.yml).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> DependsOn { get; init => field = value ?? new Dictionary<string, IReadOnlyList<string>>(); } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Configuration checksum → the configuration.</summary>
    public IReadOnlyDictionary<string, TargetConfiguration> Configurations { get; init => field = value ?? new Dictionary<string, TargetConfiguration>(); } = new Dictionary<string, TargetConfiguration>();

    /// <summary>Every device the branch subscribes and can plan, in device-id order.</summary>
    public IReadOnlyList<TargetDevice> Devices { get; init => field = value ?? []; } = [];

    /// <summary>Devices declared in git by identity (and key) whose subscription is this branch: preauthorized.</summary>
    public IReadOnlyList<TargetAdmission> Admissions { get; init => field = value ?? []; } = [];

    /// <summary>Devices the branch subscribes but leaves alone, with the reason (unknown to the server, no image, conflict ...).</summary>
    public IReadOnlyList<TargetProblem> Problems { get; init => field = value ?? []; } = [];
}

/// <summary>A rollout reverted by an abort rule: the commit it was rolling out, and the rule that tripped.</summary>
public sealed record TargetRevert(string Commit, string Reason);

/// <summary>A configuration as the server stores and deploys it. Keys in <see cref="SecretKeys"/> print as ***.</summary>
public sealed record TargetConfiguration(IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> SecretKeys);

/// <summary>
/// One device's desired state. <see cref="Configuration"/> is a checksum into <see cref="BranchTarget.Configurations"/>,
/// null when git declares no configuration for it. <see cref="Groups"/> lists only groups that take part in dependsOn.
/// </summary>
public sealed record TargetDevice(string Id, string Image, string? Configuration, IReadOnlyList<string> Groups)
{
    public string? Host { get; init; }

    /// <summary>The names of the maintenance windows that apply to the device (none: any time).</summary>
    public IReadOnlyList<string>? Windows { get; init; }
}

/// <summary>A device declared in git by identity, to preauthorize (with its key when git has one).</summary>
public sealed record TargetAdmission(string Host, IReadOnlyDictionary<string, string> Identity, string? PublicKey);

public sealed record TargetProblem(string Key, string? DeviceId, string Code, string Message);

/// <summary>A byte budget in a target: bytes per wave and per hour (null: no limit), and the warning threshold.</summary>
public sealed record ByteBudgetDocument(long? PerWave, long? PerHour, long? WarnAbove)
{
    public static ByteBudgetDocument? From(Fleet.ByteBudgetPolicy budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return budget.PerWave is null && budget.PerHour is null && budget.WarnAbove is null ? null : new(budget.PerWave, budget.PerHour, budget.WarnAbove);
    }

    /// <summary>Back to a policy; throws <see cref="FormatException"/> when a size is not positive.</summary>
    public Fleet.ByteBudgetPolicy ToPolicy() =>
        PerWave is <= 0 || PerHour is <= 0 || WarnAbove is <= 0
            ? throw new FormatException("byte_budget sizes must be positive")
            : new Fleet.ByteBudgetPolicy { PerWave = PerWave, PerHour = PerHour, WarnAbove = WarnAbove };
}

/// <summary>A rollout policy in a JSON-friendly form (quantities as "10%" or "50", durations in seconds).</summary>
public sealed record RolloutPolicyDocument(
    IReadOnlyList<string> Waves,
    int? MaxConcurrent,
    string? FailureThreshold,
    int Retries,
    double SoakSeconds,
    double OfflineTimeoutSeconds)
{
    /// <summary>Windows, pacing, timeouts, completeAt and abort rules; null when the policy uses none.</summary>
    public RolloutRulesDocument? Rules { get; init; }

    /// <summary>The byte budget (rollout.byteBudget); null without one.</summary>
    public ByteBudgetDocument? ByteBudget { get; init; }

    public static RolloutPolicyDocument From(Fleet.RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new RolloutPolicyDocument(
            policy.Waves.Select(w => w.ToString()).ToList(),
            policy.MaxConcurrent,
            policy.FailureThreshold?.ToString(),
            policy.Retries,
            policy.Soak.TotalSeconds,
            policy.OfflineTimeout.TotalSeconds) { Rules = RolloutRulesDocument.From(policy), ByteBudget = ByteBudgetDocument.From(policy.ByteBudget) };
    }

    /// <summary>Back to a policy; throws <see cref="FormatException"/> on a malformed quantity, window or rule.</summary>
    public Fleet.RolloutPolicy ToPolicy()
    {
        var policy = BasePolicy() with { ByteBudget = ByteBudget?.ToPolicy() ?? Fleet.ByteBudgetPolicy.None };
        return Rules is null ? policy : Rules.ApplyTo(policy);
    }

    private Fleet.RolloutPolicy BasePolicy() => new()
    {
        Waves = Waves is { Count: > 0 } ? Waves.Select(Parse).ToList() : [Fleet.Quantity.Percent(100)],
        MaxConcurrent = MaxConcurrent,
        FailureThreshold = FailureThreshold is null ? null : Parse(FailureThreshold),
        Retries = Retries,
        Soak = TimeSpan.FromSeconds(SoakSeconds),
        OfflineTimeout = TimeSpan.FromSeconds(OfflineTimeoutSeconds),
    };

    internal static Fleet.Quantity ParseQuantity(string text) => Parse(text);

    private static Fleet.Quantity Parse(string text)
    {
        text ??= "";
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (text.EndsWith('%') && double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, culture, out var percent) && percent is >= 0 and <= 100)
        {
            return Fleet.Quantity.Percent(percent);
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, culture, out var count))
        {
            return Fleet.Quantity.Count(count);
        }

        throw new FormatException($"'{text}' is neither a count nor a percentage");
    }
}
