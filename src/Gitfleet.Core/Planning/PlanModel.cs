using System.Text.Json.Serialization;
using Gitfleet.Core.Repository;
using Gitfleet.Core.Resolution;

namespace Gitfleet.Core.Planning;

[JsonConverter(typeof(JsonStringEnumConverter<ActionKind>))]
public enum ActionKind
{
    /// <summary>Already as desired.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The change is already scheduled and not finished; nothing new is scheduled.</summary>
    [JsonStringEnumMemberName("in_flight")]
    InFlight,

    /// <summary>Schedule the change.</summary>
    [JsonStringEnumMemberName("update")]
    Update,

    /// <summary>Nothing to install, but a stale scheduled change must be aborted.</summary>
    [JsonStringEnumMemberName("abort")]
    Abort,
}

[JsonConverter(typeof(JsonStringEnumConverter<ChangeKind>))]
public enum ChangeKind
{
    [JsonStringEnumMemberName("added")]
    Added,

    [JsonStringEnumMemberName("removed")]
    Removed,

    [JsonStringEnumMemberName("changed")]
    Changed,
}

/// <summary>The OS side of a device's plan: from which image to which, and which stale deployments it supersedes.</summary>
public sealed record OsAction(ActionKind Kind, string? From, string? To, IReadOnlyList<string> Supersedes)
{
    public static readonly OsAction Nothing = new(ActionKind.None, null, null, []);
}

/// <summary>One key of a configuration diff. Values of secret keys are already redacted (***).</summary>
public sealed record ConfigKeyChange(string Key, ChangeKind Kind, string? Old, string? New, bool Secret);

/// <summary>The configuration side of a device's plan.</summary>
public sealed record ConfigAction(ActionKind Kind, IReadOnlyList<ConfigKeyChange> Changes, string? Reason, IReadOnlyList<string> Supersedes)
{
    public static readonly ConfigAction Nothing = new(ActionKind.None, [], null, []);

    /// <summary>What to send (real secret values included); never serialized.</summary>
    [JsonIgnore]
    public RenderedConfiguration? Desired { get; init; }

    /// <summary>The checksum of the desired configuration, so a plan can be compared without its values.</summary>
    public string? Checksum => Desired?.Checksum;
}

/// <summary>A problem that keeps a device from being planned: reported, never crashed on.</summary>
public sealed record PlanProblem(string Code, string Message);

/// <summary>Stable codes for <see cref="PlanProblem"/> (docs/cli.md).</summary>
public static class PlanProblemCodes
{
    public const string UnknownDevice = "unknown-device";
    public const string NotAccepted = "not-accepted";
    public const string NoDeviceType = "no-device-type";
    public const string DeviceTypeMismatch = "device-type-mismatch";
    public const string NoOsImage = "no-os-image";
    public const string BranchConflict = "branch-conflict";
    public const string RenderFailed = "render-failed";
    public const string IdentityProblem = "identity";
}

/// <summary>The plan for one device subscribed to the branch.</summary>
public sealed record DevicePlan
{
    public required string Key { get; init; }

    public string? DeviceId { get; init; }

    public string? HostName { get; init; }

    public string? DeviceType { get; init; }

    public SubscriptionSource Subscription { get; init; }

    public OsAction Os { get; init; } = OsAction.Nothing;

    public ConfigAction Configuration { get; init; } = ConfigAction.Nothing;

    public IReadOnlyList<PlanProblem> Problems { get; init; } = [];

    [JsonIgnore]
    public bool HasChanges =>
        Os.Kind is ActionKind.Update or ActionKind.Abort || Configuration.Kind is ActionKind.Update or ActionKind.Abort
        || Os.Supersedes.Count > 0 || Configuration.Supersedes.Count > 0;

    [JsonIgnore]
    public bool IsInFlight => !HasChanges && (Os.Kind == ActionKind.InFlight || Configuration.Kind == ActionKind.InFlight);
}

public sealed record PlanSummary
{
    /// <summary>Devices subscribed to the branch (problems included).</summary>
    public int Subscribed { get; init; }

    public int Unchanged { get; init; }

    public int OsUpdates { get; init; }

    public int ConfigurationUpdates { get; init; }

    /// <summary>Devices whose only pending changes are already scheduled.</summary>
    public int InFlight { get; init; }

    public int Aborts { get; init; }

    public int Problems { get; init; }

    /// <summary>Server devices no part of the repository names (not in the inventory, no dynamic group matches).</summary>
    public int Unmanaged { get; init; }

    public bool HasChanges => OsUpdates + ConfigurationUpdates + Aborts > 0;
}

/// <summary>What applying one branch at one commit would change: the planner's pure output.</summary>
public sealed record Plan(string Branch, CommitInfo? Commit, IReadOnlyList<DevicePlan> Devices, PlanSummary Summary);
