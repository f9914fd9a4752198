using System.Text.Json.Serialization;
using Gitfleet.Core.Fleet;

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

    /// <summary>For a failed device: how its last attempt failed (abort criteria count by kind).</summary>
    public FailureKind? Failure { get; init; }

    /// <summary>When its last attempt was scheduled (pacing counts starts per minute).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When its state last changed (for a succeeded device: when it finished).</summary>
    public DateTimeOffset? ChangedAt { get; init; }

    /// <summary>For a scheduled device: the phase it last reported, and since when (phase timeouts).</summary>
    public UpdatePhase Phase { get; init; }

    public DateTimeOffset? PhaseSince { get; init; }

    /// <summary>Which calendar of <see cref="RolloutInput.Calendars"/> gates its install; null or unknown: any time.</summary>
    public string? Windows { get; init; }
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

    /// <summary>When the last wave reached <c>completeAt</c> (the bulk is done; stragglers may remain).</summary>
    public DateTimeOffset? BulkCompletedAt { get; init; }

    /// <summary>An abort rule with <c>revert</c> tripped: the engine puts the devices back on the last good commit.</summary>
    public bool RevertRequested { get; init; }

    /// <summary>The wave whose failures an operator accepted by resuming a rollout an abort rule paused, and those failures.</summary>
    public int AcknowledgedWave { get; init; } = -1;

    public WaveOutcomes? AcknowledgedOutcomes { get; init; }
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

    /// <summary>Scheduled devices that stayed too long in one phase: the engine aborts their deployment and fails them (timed out).</summary>
    public IReadOnlyList<TimedOutDevice> TimedOut { get; init; } = [];

    /// <summary>An abort rule that tripped in this decision (its action is in the progress: paused, aborted, revert requested).</summary>
    public AbortVerdict? Response { get; init; }

    /// <summary>Why each device that has not started (or is held before installing) waits.</summary>
    public IReadOnlyDictionary<string, DeviceWait> Waits { get; init; } = new Dictionary<string, DeviceWait>();

    /// <summary>Scheduled devices that may not install yet (window closed, or the rollout paused): the server holds them.</summary>
    public int Held { get; init; }

    /// <summary>Devices of completed waves (completeAt) still in progress, followed in the background.</summary>
    public int Stragglers { get; init; }

    /// <summary>When the next wave is expected to start, and the rollout's bulk to be done (estimates; null when unknown).</summary>
    public DateTimeOffset? NextWaveAt { get; init; }

    public DateTimeOffset? EstimatedEnd { get; init; }
}

/// <summary>A device whose phase timed out, and the reason to record.</summary>
public sealed record TimedOutDevice(string Key, string Reason);
