using Gitfleet.Server.Hosting;
using Gitfleet.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Cluster;

/// <summary>One term of leadership: the fence its writes carry, and a token cancelled when the term ends.</summary>
public sealed record LeaderTerm(LeaderFence? Fence, CancellationToken Ending)
{
    /// <summary>Runs leader work under this term's fence (no fence on a single-process store).</summary>
    public IDisposable? Enter() => Fence?.Enter();
}

/// <summary>
/// Decides whether this replica runs the git watcher and the rollout engine. On a shared store it holds the
/// <see cref="LeaseName"/> lease: renews it every third of <see cref="ServerOptions.LeaderLeaseDuration"/>, and
/// ends its term (cancelling the leader's work) as soon as another replica holds it, or when it could not renew
/// for long enough that the lease may have run out. On SQLite (one process) it always leads, with no fence.
/// The lease is timed by the database's clock, so renewals follow the real clock, not the server's
/// <see cref="TimeProvider"/> (a test's manual clock moves rollouts and soaks, never leases).
/// </summary>
public sealed partial class Leadership : BackgroundService
{
    public const string LeaseName = "reconciler";
    private readonly ILeaderLease? lease;
    private readonly ServerOptions options;
    private readonly TimeProvider time = TimeProvider.System;
    private readonly ILogger<Leadership> logger;
    private readonly object sync = new();
    private TaskCompletionSource<LeaderTerm> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? ending;
    private LeaderTerm? current;

    public Leadership(IClusterStore? cluster, ServerOptions options, ILogger<Leadership> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        lease = cluster?.Lease(LeaseName, options.ReplicaName, options.LeaderLeaseDuration);
        this.options = options;
        this.logger = logger;
        if (lease is null)
        {
            Begin(null);
        }
    }

    public bool IsLeader => Volatile.Read(ref current) is not null;

    public string ReplicaName => options.ReplicaName;

    /// <summary>The replica that leads, as this one last saw it (null while nobody does).</summary>
    public string? Leader { get; private set; }

    /// <summary>How many terms this replica began (1 on SQLite).</summary>
    public int Terms { get; private set; }

    /// <summary>The current term, or the next one: waits until this replica leads.</summary>
    public Task<LeaderTerm> WaitForTermAsync(CancellationToken cancellationToken)
    {
        lock (sync)
        {
            return current is { } term ? Task.FromResult(term) : started.Task.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (lease is null)
        {
            Leader = options.ReplicaName;
            return;
        }

        var renewEvery = options.LeaderLeaseDuration / 3;
        var attemptLimit = options.LeaderLeaseDuration - renewEvery;
        var lastRenewal = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var attempt = time.GetUtcNow();
            try
            {
                // An attempt that hangs (a lock, a pool with no free connection) fails once the lease it would renew
                // can have run out (a slow one that lands before still renews), so the term ends in time.
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                limit.CancelAfter(attemptLimit);
                var state = await lease.TryAcquireAsync(limit.Token).ConfigureAwait(false);
                Leader = state.Holder;
                if (state.IsLeader)
                {
                    lastRenewal = attempt;
                    if (current?.Fence?.Token != state.Token)
                    {
                        End("a new term began");
                        Begin(state.Fence(LeaseName));
                        LogLeading(options.ReplicaName, state.Token);
                    }
                }
                else if (current is not null)
                {
                    End($"{state.Holder} holds the lease");
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(e is OperationCanceledException ? $"no answer within {attemptLimit.TotalSeconds:0.#} s" : e.Message);
                // Stop deciding before the lease can have run out in the database (the fence refuses late writes anyway).
                if (current is not null && time.GetUtcNow() - lastRenewal > options.LeaderLeaseDuration - renewEvery)
                {
                    End("the lease could not be renewed");
                }
            }

            try
            {
                await Task.Delay(renewEvery, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (lease is not null && current is not null)
        {
            End("the server is stopping");
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await lease.ReleaseAsync(limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogRenewFailed(e.Message);
            }
        }
    }

    private void Begin(LeaderFence? fence)
    {
        lock (sync)
        {
            ending = new CancellationTokenSource();
            var term = new LeaderTerm(fence, ending.Token);
            Volatile.Write(ref current, term);
            Terms++;
            started.TrySetResult(term);
        }
    }

    private void End(string reason)
    {
        CancellationTokenSource? cancel;
        lock (sync)
        {
            if (current is null)
            {
                return;
            }

            current = null;
            cancel = ending;
            ending = null;
            started = new TaskCompletionSource<LeaderTerm>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        LogFollowing(options.ReplicaName, reason);
        // Not disposed: the leader's work may still link to its token while it unwinds.
        cancel?.Cancel();
    }

    [LoggerMessage(EventId = 4601, Level = LogLevel.Warning, Message = "Replica {Replica} leads the git watcher and the rollout engine (fencing token {Token})")]
    private partial void LogLeading(string replica, long token);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Warning, Message = "Replica {Replica} no longer leads: {Reason}")]
    private partial void LogFollowing(string replica, string reason);

    [LoggerMessage(EventId = 4603, Level = LogLevel.Warning, Message = "The leader lease could not be read or renewed: {Reason}")]
    private partial void LogRenewFailed(string reason);
}
