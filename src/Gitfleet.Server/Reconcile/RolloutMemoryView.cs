using Gitfleet.Core.Rollouts;

namespace Gitfleet.Server.Reconcile;

/// <summary>The engine's per-branch <see cref="RolloutMemory"/> as the core's rollout steps read and change it.</summary>
internal sealed class RolloutMemoryView(RolloutMemory memory) : IRolloutMemory
{
    public long Version => memory.Version;

    public void Started(string deviceId, DateTimeOffset at, long? download = null) => memory.Started(deviceId, at, download);

    public DateTimeOffset? StartOf(string deviceId) => memory.StartOf(deviceId);

    public long? DownloadOf(string deviceId) => memory.DownloadOf(deviceId);

    public DateTimeOffset Observe(string deviceId, UpdatePhase phase, DateTimeOffset now) => memory.Observe(deviceId, phase, now);

    public (UpdatePhase Phase, DateTimeOffset? Since) PhaseOf(string deviceId) => memory.PhaseOf(deviceId);

    public void Finished(string deviceId) => memory.Finished(deviceId);

    public void NoteBase(string deviceId, string? image) => memory.NoteBase(deviceId, image);

    public bool TryBase(string deviceId, out string? image) => memory.TryBase(deviceId, out image);

    public void Clear() => memory.Clear();
}
