using System.Text.Json.Serialization;

namespace Gitfleet.Core.Rollouts;

/// <summary>Why a device of a rollout has not started yet.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WaitReason>))]
public enum WaitReason
{
    /// <summary>Its wave has not started.</summary>
    [JsonStringEnumMemberName("wave")]
    Wave,

    /// <summary>The previous wave is soaking.</summary>
    [JsonStringEnumMemberName("soak")]
    Soak,

    /// <summary>Its maintenance window is closed (or today is a blackout day).</summary>
    [JsonStringEnumMemberName("window")]
    Window,

    /// <summary>The pacing rate is used up for this minute.</summary>
    [JsonStringEnumMemberName("pacing")]
    Pacing,

    /// <summary>maxConcurrent devices are in progress.</summary>
    [JsonStringEnumMemberName("concurrency")]
    Concurrency,

    /// <summary>The byte budget is used up.</summary>
    [JsonStringEnumMemberName("budget")]
    Budget,

    /// <summary>A group it depends on has not finished.</summary>
    [JsonStringEnumMemberName("dependsOn")]
    DependsOn,

    /// <summary>The rollout is paused (by an operator, by gitfleet.yml or by an abort rule).</summary>
    [JsonStringEnumMemberName("paused")]
    Paused,

    /// <summary>It failed and waits for its retry.</summary>
    [JsonStringEnumMemberName("retry")]
    Retry,
}

/// <summary>Why one device waits, and until when if that is known.</summary>
public sealed record DeviceWait(WaitReason Reason, DateTimeOffset? Until = null, string? Detail = null)
{
    public string Describe()
    {
        var until = Until is { } at ? $" until {at:u}" : "";
        return Reason switch
        {
            WaitReason.Wave => "its wave has not started" + until,
            WaitReason.Soak => "soaking" + until,
            WaitReason.Window => (Detail is { } window ? $"window '{window}' closed" : "maintenance window closed") + until,
            WaitReason.Pacing => "pacing" + until,
            WaitReason.Concurrency => "maxConcurrent devices in progress",
            WaitReason.Budget => "byte budget used up" + until + (Detail is { } budget ? $": {budget}" : ""),
            WaitReason.DependsOn => "waits for " + (Detail ?? "the groups it depends on"),
            WaitReason.Paused => "rollout paused" + (Detail is { } why ? $": {why}" : ""),
            WaitReason.Retry => "waits for its retry" + until,
            _ => Reason.ToString(),
        };
    }
}
