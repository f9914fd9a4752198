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
    private readonly System.Threading.Channels.Channel<bool> engineRefreshes = System.Threading.Channels.Channel.CreateUnbounded<bool>(new() { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var refresher = RefreshEngineAsync(stoppingToken);
        try
        {
            await cluster.Changes.FollowAsync(views.Position, ApplyAsync, e => LogFeedLost(e.Message), stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            engineRefreshes.Writer.TryComplete();
            await refresher.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The leader's engine refreshes (new targets and branches written through other replicas) on their own loop:
    /// a refresh waits for the engine's decision in progress, and the device, token and revocation changes behind it
    /// in the feed must not wait with it (a device admitted through another replica would be refused meanwhile).
    /// Requests that arrive during a refresh are served by one more refresh.
    /// </summary>
    private async Task RefreshEngineAsync(CancellationToken cancellationToken)
    {
        var reader = engineRefreshes.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var run = false;
                while (reader.TryRead(out var requested))
                {
                    run |= requested;
                }

                try
                {
                    await engine.RefreshAsync(forgetObserved: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store is unreachable for now (a PostgreSQL restart): try again shortly.
                    LogRefreshFailed(e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                    engineRefreshes.Writer.TryWrite(run);
                    continue;
                }

                if (run && leadership.IsLeader)
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

        if (byKind.ContainsKey(ChangeKinds.Target) || byKind.ContainsKey(ChangeKinds.Branch))
        {
            if (leadership.IsLeader)
            {
                engineRefreshes.Writer.TryWrite(byKind.ContainsKey(ChangeKinds.Target));
            }
            else
            {
                // A follower's engine decides nothing, so the refresh does not wait; the statuses below need it done.
                await engine.RefreshAsync(forgetObserved: false, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!leadership.IsLeader && byKind.TryGetValue(ChangeKinds.Status, out var statuses))
        {
            foreach (var branch in statuses)
            {
                if (await cluster.GetBranchStatusAsync(branch, cancellationToken).ConfigureAwait(false) is { } status)
                {
                    engine.AdoptStatus(status);
                }
            }
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
