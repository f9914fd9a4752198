using System.Text.Json.Serialization;
using Gitfleet.Core.Diagnostics;

namespace Gitfleet.Core.Fleet;

/// <summary>Why a device's update failed, as abort criteria tell failures apart.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
public enum FailureKind
{
    /// <summary>The update failed on the device (a module error, a failed health check ...).</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The device stayed in one phase longer than its timeout.</summary>
    [JsonStringEnumMemberName("timedOut")]
    TimedOut,

    /// <summary>The device refused the artifact: its device type is not compatible, or no artifact exists for it.</summary>
    [JsonStringEnumMemberName("rejected")]
    Rejected,
}

/// <summary>What happens when an abort rule trips.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AbortAction>))]
public enum AbortAction
{
    /// <summary>Schedule nothing more until an operator resumes (failureThreshold's behaviour).</summary>
    [JsonStringEnumMemberName("pause")]
    Pause,

    /// <summary>Abort every unfinished deployment of the rollout; nothing more for this commit.</summary>
    [JsonStringEnumMemberName("abort")]
    Abort,

    /// <summary>Abort, then put the rollout's devices back on the branch's last good commit, as a rollout of its own.</summary>
    [JsonStringEnumMemberName("revert")]
    Revert,
}

/// <summary>
/// An abort criterion (AWS IoT Jobs' abortConfig): when, among the current wave's finished devices, those that
/// failed with <see cref="On"/> (any kind when null) reach <see cref="Threshold"/> (a count, or a percentage of
/// the finished devices), and at least <see cref="MinFinished"/> devices of the wave finished, take <see cref="Action"/>.
/// </summary>
public sealed record AbortRule(FailureKind? On, Quantity Threshold, int MinFinished, AbortAction Action)
{
    public SourceLocation? Location { get; init; }

    public string Describe() =>
        $"{(On is { } kind ? KindName(kind) : "failed (any kind)")} reached {Threshold} of the wave's finished devices (at least {MinFinished} finished) → {ActionName(Action)}";

    public static string KindName(FailureKind kind) => kind switch
    {
        FailureKind.TimedOut => "timedOut",
        FailureKind.Rejected => "rejected",
        _ => "failed",
    };

    public static string ActionName(AbortAction action) => action switch
    {
        AbortAction.Abort => "abort",
        AbortAction.Revert => "revert",
        _ => "pause",
    };

    /// <summary>What <c>on</c> may say: a kind's name (<see cref="KindName"/>), or "any".</summary>
    public static IReadOnlyList<string> KindNames { get; } = ["failed", "timedOut", "rejected", "any"];

    /// <summary>What <c>action</c> may say (<see cref="ActionName"/>).</summary>
    public static IReadOnlyList<string> ActionNames { get; } = ["pause", "abort", "revert"];

    /// <summary>Reads <c>on</c>: a kind's name, or "any" (null: any kind).</summary>
    public static bool TryParseKind(string? text, out FailureKind? kind)
    {
        kind = text switch
        {
            "failed" => FailureKind.Failed,
            "timedOut" => FailureKind.TimedOut,
            "rejected" => FailureKind.Rejected,
            _ => null,
        };
        return kind is not null || text == "any";
    }

    /// <summary>Reads <c>action</c>: pause, abort or revert.</summary>
    public static bool TryParseAction(string? text, out AbortAction action)
    {
        action = text switch
        {
            "abort" => AbortAction.Abort,
            "revert" => AbortAction.Revert,
            _ => AbortAction.Pause,
        };
        return action != AbortAction.Pause || text == "pause";
    }
}
