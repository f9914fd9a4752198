using System.Collections.Concurrent;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Server.Deployments;

/// <summary>Whether a device may start installing now, as its branch's rollout sees it.</summary>
/// <param name="Gated">The device installs by maintenance windows (it gets an update control map).</param>
/// <param name="Held">It may not install now: its window is closed, or the rollout is paused.</param>
/// <param name="Until">When its window opens (held) or closes (not held); null when unknown or never.</param>
internal readonly record struct InstallGate(bool Gated, bool Held, DateTimeOffset? Until)
{
    public static readonly InstallGate Free = new(false, false, null);
}

/// <summary>
/// The rollout engine's word on installs, answered from memory on the device's check-in and control-map requests
/// (docs/device.md, "Update control map"): a device of a rollout with maintenance windows is held before installing
/// while its window is closed or its rollout is paused. The engine publishes each branch's windows per device when a
/// target arrives and the branch's pause with every decision; window states are evaluated live from the calendars
/// (cached until they change), so a window opening releases its devices at their next request without a decision.
/// </summary>
internal sealed class InstallHolds(TimeProvider time)
{
    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Board> boards = new(StringComparer.Ordinal);

    /// <summary>
    /// A branch's devices and their calendar keys (devices without a key are not gated) for a target generation, and
    /// the images its rollouts install even where devices report them (<c>images.NAME.force</c>).
    /// </summary>
    public void PublishTarget(string branch, long generation, IReadOnlyDictionary<string, MaintenanceCalendar> calendars, IReadOnlyDictionary<string, string> deviceKeys, IReadOnlySet<string>? forced = null)
    {
        ArgumentNullException.ThrowIfNull(calendars);
        ArgumentNullException.ThrowIfNull(deviceKeys);
        var paused = boards.TryGetValue(branch, out var previous) && previous.Paused;
        boards[branch] = new Board(generation, calendars, deviceKeys) { Paused = paused, Forced = forced ?? EmptySet };
    }

    /// <summary>Whether a deployment the reconciler made for <paramref name="branch"/> installs <paramref name="image"/> even where the device reports it.</summary>
    public bool IsForced(string? branch, string image) =>
        branch is not null && boards.TryGetValue(branch, out var board) && board.Forced.Contains(image);

    /// <summary>The generation of the target whose windows are published for <paramref name="branch"/>, or -1.</summary>
    public long PublishedGeneration(string branch) => boards.TryGetValue(branch, out var board) ? board.Generation : -1;

    /// <summary>The branch's rollout is paused (by an operator, gitfleet.yml or an abort rule): gated devices not installing yet wait.</summary>
    public void SetPaused(string branch, bool paused)
    {
        if (boards.TryGetValue(branch, out var board))
        {
            board.Paused = paused;
        }
    }

    public void Remove(string branch) => boards.TryRemove(branch, out _);

    public InstallGate For(string deviceId)
    {
        foreach (var board in boards.Values)
        {
            if (board.Keys.TryGetValue(deviceId, out var key))
            {
                var window = board.State(key, time.GetUtcNow());
                return new InstallGate(true, board.Paused || !window.Open, window.Until);
            }
        }

        return InstallGate.Free;
    }

    private sealed class Board(long generation, IReadOnlyDictionary<string, MaintenanceCalendar> calendars, IReadOnlyDictionary<string, string> keys)
    {
        private readonly ConcurrentDictionary<string, WindowState> states = new(StringComparer.Ordinal);
        private volatile bool paused;

        public long Generation { get; } = generation;

        public IReadOnlyDictionary<string, string> Keys { get; } = keys;

        public IReadOnlySet<string> Forced { get; init; } = new HashSet<string>(StringComparer.Ordinal);

        public bool Paused
        {
            get => paused;
            set => paused = value;
        }

        /// <summary>The window state of a calendar, recomputed only once the cached one has changed.</summary>
        public WindowState State(string key, DateTimeOffset now)
        {
            if (states.TryGetValue(key, out var cached) && (cached.Until is null || now < cached.Until) && (cached.Open || cached.Until is not null))
            {
                return cached;
            }

            var state = calendars.TryGetValue(key, out var calendar) ? calendar.StateAt(now) : WindowState.AlwaysOpen;
            states[key] = state;
            return state;
        }
    }
}
