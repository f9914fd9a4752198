namespace Gitfleet.Storage.Cluster;

/// <summary>
/// The proof a leader carries into its writes: which lease it holds and the fencing token it was given when it
/// took it. Every store write made inside <see cref="Enter"/>'s scope (the rollout engine's and the git watcher's
/// work, however deep the call) checks the token in the same transaction and is refused once a newer leader took
/// the lease, so a former leader that was paused (GC, SIGSTOP, a slow disk) and wakes up can never write a decision.
/// </summary>
public sealed record LeaderFence(string Lease, long Token)
{
    private static readonly AsyncLocal<LeaderFence?> Ambient = new();

    /// <summary>The fence of the current logical call (flows across awaits), or null outside leader work.</summary>
    public static LeaderFence? Current => Ambient.Value;

    /// <summary>Runs the leader's work under this fence; disposing restores what was there before.</summary>
    public IDisposable Enter()
    {
        var previous = Ambient.Value;
        Ambient.Value = this;
        return new Scope(previous);
    }

    private sealed class Scope(LeaderFence? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
