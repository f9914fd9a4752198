namespace Gitfleet.Core.Rollouts;

/// <summary>
/// What the engine remembers about a branch's rollout between decisions without storing it (it keeps one per branch
/// and hands it to <see cref="RolloutWork"/>, which reads and changes it): when each scheduled
/// device entered the phase it reports (phase timeouts count from there), and when each device last started
/// (pacing counts starts per minute; forecasts measure how long devices take) and at what download size (the byte
/// budget counts it for the hour after the start), and the image each OS device ran before (the status's bytes over the air). After a restart both start again
/// from what the store has (a scheduled device's start is its row's change time; its phase is timed from the first
/// decision that sees it): a timeout can come up to a restart's duration late, never early.
/// </summary>
public sealed class RolloutMemory
{
    private readonly Dictionary<string, (UpdatePhase Phase, DateTimeOffset Since)> phases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> starts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> downloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> bases = new(StringComparer.Ordinal);

    /// <summary>Changes whenever a device's phase changed: a decision that depends on phases must run again.</summary>
    public long Version { get; private set; }

    /// <param name="download">The bytes the start was priced at for a byte budget (null: not priced).</param>
    public void Started(string deviceId, DateTimeOffset at, long? download = null)
    {
        starts[deviceId] = at;
        phases.Remove(deviceId);
        if (download is { } bytes)
        {
            downloads[deviceId] = bytes;
        }
        else
        {
            downloads.Remove(deviceId);
        }
    }

    public DateTimeOffset? StartOf(string deviceId) => starts.TryGetValue(deviceId, out var at) ? at : null;

    /// <summary>The bytes the device's last start was priced at (the byte budget counts them for the hour after it).</summary>
    public long? DownloadOf(string deviceId) => downloads.TryGetValue(deviceId, out var bytes) ? bytes : null;

    /// <summary>The phase a scheduled device reports now, and since when it has (first seen at <paramref name="now"/> when new).</summary>
    public DateTimeOffset Observe(string deviceId, UpdatePhase phase, DateTimeOffset now)
    {
        if (phases.TryGetValue(deviceId, out var known) && known.Phase == phase)
        {
            return known.Since;
        }

        phases[deviceId] = (phase, now);
        Version++;
        return now;
    }

    /// <summary>The phase last observed for a device, and since when.</summary>
    public (UpdatePhase Phase, DateTimeOffset? Since) PhaseOf(string deviceId) =>
        phases.TryGetValue(deviceId, out var known) ? (known.Phase, known.Since) : (UpdatePhase.Pending, null);

    /// <summary>The device is no longer scheduled: its phase is over.</summary>
    public void Finished(string deviceId) => phases.Remove(deviceId);

    /// <summary>
    /// Remembers the image a device ran when this rollout first saw it need its OS update (the base its download is
    /// priced from): once it finished, it runs the target. The first base noted stays.
    /// </summary>
    public void NoteBase(string deviceId, string? image) => bases.TryAdd(deviceId, image);

    /// <summary>The device's base image in this rollout; false when it was never seen needing an OS update.</summary>
    public bool TryBase(string deviceId, out string? image) => bases.TryGetValue(deviceId, out image);

    /// <summary>A new rollout: nothing carries over.</summary>
    public void Clear()
    {
        phases.Clear();
        starts.Clear();
        downloads.Clear();
        bases.Clear();
        Version++;
    }
}
