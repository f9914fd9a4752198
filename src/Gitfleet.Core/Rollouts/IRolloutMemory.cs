namespace Gitfleet.Core.Rollouts;

/// <summary>
/// What a rollout remembers about its devices between decisions without storing it (the engine keeps it per branch):
/// the phase each scheduled device reports and since when, when each device last started and at what download size,
/// and the image each OS device ran before.
/// </summary>
public interface IRolloutMemory
{
    /// <summary>Changes whenever a device's phase changed: a decision that depends on phases must run again.</summary>
    long Version { get; }

    /// <param name="download">The bytes the start was priced at for a byte budget (null: not priced).</param>
    void Started(string deviceId, DateTimeOffset at, long? download = null);

    DateTimeOffset? StartOf(string deviceId);

    /// <summary>The bytes the device's last start was priced at.</summary>
    long? DownloadOf(string deviceId);

    /// <summary>The phase a scheduled device reports now, and since when it has (first seen at <paramref name="now"/> when new).</summary>
    DateTimeOffset Observe(string deviceId, UpdatePhase phase, DateTimeOffset now);

    /// <summary>The phase last observed for a device, and since when.</summary>
    (UpdatePhase Phase, DateTimeOffset? Since) PhaseOf(string deviceId);

    /// <summary>The device is no longer scheduled: its phase is over.</summary>
    void Finished(string deviceId);

    /// <summary>Remembers the image a device ran when the rollout first saw it need its OS update; the first base noted stays.</summary>
    void NoteBase(string deviceId, string? image);

    /// <summary>The device's base image in this rollout; false when it was never seen needing an OS update.</summary>
    bool TryBase(string deviceId, out string? image);

    /// <summary>A new rollout: nothing carries over.</summary>
    void Clear();
}
