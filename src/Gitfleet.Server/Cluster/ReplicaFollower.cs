using System.Text.Json;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Reconcile;
using Gitfleet.Server.Reconcile.Git;
using Gitfleet.Storage.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Cluster;

/// <summary>
/// Keeps this replica's memory views current with what other replicas commit: follows the store's change feed
/// from the position read before the views were loaded, and re-reads from the store what each change names
/// (a device's status, whether it has something pending, which inventory digests and accepted keys to forget, an access token, a branch, the artifacts). Changes that ask the leader
/// to act (a new target, a webhook received by a follower) wake the leader's engine or watcher. The leader also
/// prunes old changes now and then.
/// </summary>
internal sealed partial class ReplicaFollower(
    IClusterStore cluster,
    ReplicaViews views,
    Leadership leadership,
    RolloutEngine engine,
    GitWatcher watcher,
    Delivery.ImageArtifacts images,
    TimeProvider time,
    ILogger<ReplicaFollower> logger) : BackgroundService
{
    /// <summary>How long changes are kept: a replica away longer reloads everything when it returns.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(5);
    private DateTimeOffset lastPrune = DateTimeOffset.MinValue;
    private readonly System.Threading.Channels.Channel<EngineWork> engineWork = System.Threading.Channels.Channel.CreateUnbounded<EngineWork>(new() { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var refresher = FollowEngineAsync(stoppingToken);
        try
        {
            await cluster.Changes.FollowAsync(views.Position, ApplyAsync, e => LogFeedLost(e.Message), stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            engineWork.Writer.TryComplete();
            await refresher.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What the feed asks of the rollout engine, done on its own loop: a refresh (new targets and branches written
    /// through other replicas) waits for the engine's lock, which a decision or a status request may hold, and the
    /// reads behind it go to the store, slow on a replica whose code is still cold; the device, token and revocation
    /// changes behind it in the feed must not wait with it (a device rejected through another replica would be
    /// served meanwhile). On a follower the leader's statuses are adopted after the refresh, as they were decided on
    /// it. Work that arrives meanwhile is merged and done by one more pass.
    /// </summary>
    private async Task FollowEngineAsync(CancellationToken cancellationToken)
    {
        var reader = engineWork.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var work = EngineWork.None;
                while (reader.TryRead(out var more))
                {
                    work = work.With(more);
                }

                try
                {
                    if (work.Refresh)
                    {
                        await engine.RefreshAsync(forgetObserved: false, cancellationToken).ConfigureAwait(false);
                    }

                    if (!leadership.IsLeader)
                    {
                        foreach (var branch in work.Statuses)
                        {
                            if (await cluster.GetBranchStatusAsync(branch, cancellationToken).ConfigureAwait(false) is { } status)
                            {
                                engine.AdoptStatus(status);
                            }
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store is unreachable for now (a PostgreSQL restart): try again shortly.
                    LogRefreshFailed(e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                    engineWork.Writer.TryWrite(work);
                    continue;
                }

                if (work.Run && leadership.IsLeader)
                {
                    engine.RequestRun();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Applies a batch, then tells the device service's freshness that memory holds every change through it.</summary>
    private async Task ApplyAsync(ChangeBatch batch, CancellationToken cancellationToken)
    {
        await ApplyChangesAsync(batch, cancellationToken).ConfigureAwait(false);
        views.Freshness.MarkApplied(batch.Through);
    }

    private async Task ApplyChangesAsync(ChangeBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Reset)
        {
            LogReset();
            images.Invalidate();
            await views.ReloadAsync(cancellationToken).ConfigureAwait(false);
            await engine.RefreshAsync(forgetObserved: false, cancellationToken).ConfigureAwait(false);
            engine.RequestRun();
            return;
        }

        var byKind = batch.Changes.GroupBy(c => c.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(c => c.Key).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        if (byKind.TryGetValue(ChangeKinds.Device, out var devices))
        {
            await views.Devices.ChangedElsewhereAsync(devices, cancellationToken).ConfigureAwait(false);
        }

        if (byKind.TryGetValue(ChangeKinds.AuthSet, out var authSets))
        {
            views.Devices.AuthSetsChangedElsewhere(authSets);
        }

        if (byKind.TryGetValue(ChangeKinds.Inventory, out var inventories))
        {
            await views.Devices.InventoryChangedElsewhereAsync(inventories, cancellationToken).ConfigureAwait(false);
        }

        if (byKind.TryGetValue(ChangeKinds.Pending, out var pending))
        {
            await views.Devices.PendingChangedElsewhereAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        if (byKind.ContainsKey(ChangeKinds.Artifact))
        {
            images.Invalidate();
        }

        if (byKind.TryGetValue(ChangeKinds.AccessToken, out var tokens))
        {
            await views.AccessTokens.ChangedElsewhereAsync(tokens, cancellationToken).ConfigureAwait(false);
        }

        if (byKind.ContainsKey(ChangeKinds.RevokedToken))
        {
            await views.AccessTokens.RevokedElsewhereAsync(cancellationToken).ConfigureAwait(false);
        }

        var refresh = byKind.ContainsKey(ChangeKinds.Target) || byKind.ContainsKey(ChangeKinds.Branch);
        var statuses = byKind.GetValueOrDefault(ChangeKinds.Status) ?? [];
        if (refresh || statuses.Count > 0)
        {
            engineWork.Writer.TryWrite(new EngineWork(refresh, byKind.ContainsKey(ChangeKinds.Target), statuses));
        }

        if (leadership.IsLeader && byKind.TryGetValue(ChangeKinds.Control, out var controls))
        {
            await ApplyControlsAsync(controls, cancellationToken).ConfigureAwait(false);
        }

        if (leadership.IsLeader && byKind.TryGetValue(ChangeKinds.ReconcileRequest, out var branches))
        {
            foreach (var branch in branches.Where(watcher.Watches))
            {
                watcher.Trigger(branch);
            }
        }

        if (leadership.IsLeader && time.GetUtcNow() - lastPrune > PruneEvery)
        {
            lastPrune = time.GetUtcNow();
            LogPruned(await cluster.Changes.PruneAsync(Retention, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>On the leader: the controls operators sent through followers, in order, under the term's fence.</summary>
    private async Task ApplyControlsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var term = await leadership.WaitForTermAsync(cancellationToken).ConfigureAwait(false);
        using var scope = term.Enter();
        foreach (var key in keys)
        {
            if (RolloutControls.Parse(key) is not { } request)
            {
                continue;
            }

            try
            {
                await engine.ControlAsync(request.Branch, request.Control, cancellationToken).ConfigureAwait(false);
            }
            catch (Domain.DomainException e)
            {
                // Refused on the leader (the follower checked the same rules, but the state may have moved since):
                // logged, and the feed's other changes are still applied.
                LogControlRefused(request.Branch, request.Control.ToString(), e.Message);
            }
        }
    }

    /// <summary>A pass of <see cref="FollowEngineAsync"/>: refresh the engine, run it (on the leader), adopt these branches' statuses (on a follower).</summary>
    private readonly record struct EngineWork(bool Refresh, bool Run, IReadOnlyList<string> Statuses)
    {
        public static EngineWork None => new(false, false, []);

        public EngineWork With(EngineWork more) =>
            new(Refresh || more.Refresh, Run || more.Run, more.Statuses.Count == 0 ? Statuses : Statuses.Union(more.Statuses, StringComparer.Ordinal).ToList());
    }

    [LoggerMessage(EventId = 4614, Level = LogLevel.Warning, Message = "Branch {Branch}: the {Control} an operator sent through another replica was refused: {Reason}")]
    private partial void LogControlRefused(string branch, string control, string reason);

    [LoggerMessage(EventId = 4611, Level = LogLevel.Warning, Message = "The change feed's connection was lost ({Reason}); reconnecting, then catching up")]
    private partial void LogFeedLost(string reason);

    [LoggerMessage(EventId = 4612, Level = LogLevel.Warning, Message = "Changes this replica missed were pruned: reloading every view from the store")]
    private partial void LogReset();

    [LoggerMessage(EventId = 4613, Level = LogLevel.Debug, Message = "Pruned {Count} old changes from the change feed")]
    private partial void LogPruned(int count);

    [LoggerMessage(EventId = 4615, Level = LogLevel.Warning, Message = "Refreshing the rollout engine from the store failed ({Reason}); trying again")]
    private partial void LogRefreshFailed(string reason);
}
