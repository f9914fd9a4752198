using System.Text.Json.Serialization;

namespace Gitfleet.Core.Rollouts;

/// <summary>Where one device stands in a rollout.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutDeviceState>))]
public enum RolloutDeviceState
{
    /// <summary>Not scheduled yet (its wave has not started, or it waits for a dependency or a free slot).</summary>
    [JsonStringEnumMemberName("waiting")]
    Waiting,

    /// <summary>Its deployments are created; the device has not finished them.</summary>
    [JsonStringEnumMemberName("scheduled")]
    Scheduled,

    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>Its last attempt failed; it may be retried.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Left out by an abort.</summary>
    [JsonStringEnumMemberName("aborted")]
    Aborted,
}

/// <summary>One device of a rollout, as the rollout engine tracks it.</summary>
public sealed record RolloutDevice
{
    public required string Key { get; init; }

    public RolloutDeviceState State { get; init; } = RolloutDeviceState.Waiting;

    /// <summary>How many times it was scheduled (1 after the first attempt).</summary>
    public int Attempts { get; init; }

    /// <summary>The groups it belongs to (for dependsOn).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    public DateTimeOffset? LastCheckIn { get; init; }

    public string? LastError { get; init; }
}

/// <summary>The rollout's own progress, persisted between decisions.</summary>
public sealed record RolloutProgress
{
    public static readonly RolloutProgress Start = new();

    /// <summary>The wave being rolled out (0-based).</summary>
    public int Wave { get; init; }

    /// <summary>When the current wave finished (soak runs from here); null while it is running.</summary>
    public DateTimeOffset? WaveCompletedAt { get; init; }

    public bool Paused { get; init; }

    public string? PauseReason { get; init; }

    /// <summary>Failures an operator accepted by resuming; the threshold counts failures beyond these.</summary>
    public int AcknowledgedFailures { get; init; }

    public bool Aborted { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<RolloutPhase>))]
public enum RolloutPhase
{
    [JsonStringEnumMemberName("progressing")]
    Progressing,

    /// <summary>A wave finished; waiting for the soak time before the next one.</summary>
    [JsonStringEnumMemberName("soaking")]
    Soaking,

    [JsonStringEnumMemberName("paused")]
    Paused,

    [JsonStringEnumMemberName("completed")]
    Completed,

    [JsonStringEnumMemberName("aborted")]
    Aborted,
}

/// <summary>Counts of a rollout's devices.</summary>
public sealed record RolloutCounts(int Total, int Waiting, int Scheduled, int Succeeded, int Failed, int Offline, int Aborted);

/// <summary>What the engine must do now, and the progress to persist.</summary>
public sealed record RolloutDecision
{
    /// <summary>Devices to schedule now (their deployments created), in order.</summary>
    public required IReadOnlyList<string> Schedule { get; init; }

    public required RolloutProgress Progress { get; init; }

    public required RolloutPhase Phase { get; init; }

    /// <summary>One line for people: what the rollout does or waits for.</summary>
    public required string Message { get; init; }

    public required RolloutCounts Counts { get; init; }

    /// <summary>How many devices the current wave covers (cumulative).</summary>
    public int WaveSize { get; init; }

    /// <summary>When the engine should decide again at the latest (soak end), if time alone changes the outcome.</summary>
    public DateTimeOffset? WakeAt { get; init; }
}
