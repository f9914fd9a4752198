using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile;

/// <summary>
/// The engine's side of the rollout rules for real fleets: it publishes which devices install by maintenance
/// windows (the device API holds them), remembers each branch's last good target, and answers an abort rule's
/// <c>revert</c> with a rollout of its own back to that target.
/// </summary>
internal sealed partial class RolloutEngine
{
    /// <summary>Publishes the target's devices that install by a calendar, and its forced images, once per target generation.</summary>
    private void PublishHolds(BranchRuntime runtime, TargetIndex target)
    {
        if (holds.PublishedGeneration(runtime.Branch) == target.Generation)
        {
            return;
        }

        if (target.Calendars.Count == 0 && target.Forced.Count == 0)
        {
            holds.Remove(runtime.Branch);
            return;
        }

        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < target.Count; i++)
        {
            if (target.WindowsOf[i] is { } key)
            {
                keys[target.DeviceIds[i]] = key;
            }
        }

        holds.PublishTarget(runtime.Branch, target.Generation, target.Calendars, keys, target.Forced);
    }

    /// <summary>After a decision is written: remember a good target, and revert when an abort rule asked for it.</summary>
    private async Task AfterDecisionAsync(BranchRuntime runtime, TargetIndex target, RolloutWork work, RolloutDecision decision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (decision.Phase == RolloutPhase.Completed && decision.Counts.Failed == 0 && runtime.GoodGeneration != target.Generation && target.RevertOf is null)
        {
            if (await store.GetTargetAsync(runtime.Branch, cancellationToken).ConfigureAwait(false) is { } applied)
            {
                await store.SaveGoodTargetAsync(new GoodTarget(runtime.Branch, target.Generation, target.Commit.Sha, applied), now, cancellationToken).ConfigureAwait(false);
            }

            runtime.GoodGeneration = target.Generation;
        }

        if (decision.Progress.RevertRequested && runtime.RevertHandled != target.Generation)
        {
            runtime.RevertHandled = target.Generation;
            await RevertAsync(runtime, target, work, decision.Progress.PauseReason ?? "an abort rule tripped", now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Puts the devices of the aborted rollout back on the branch's last good target: a new target made of that
    /// target for those devices (its commit, images and configurations; its policy without abort rules), stored as
    /// the branch's target, so it rolls out as a rollout of its own traced to the good commit. The reverted commit
    /// is remembered and not rolled out again.
    /// </summary>
    private async Task RevertAsync(BranchRuntime runtime, TargetIndex target, RolloutWork work, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var good = await store.GetGoodTargetAsync(runtime.Branch, cancellationToken).ConfigureAwait(false);
        if (good is null || good.CommitSha == target.Commit.Sha)
        {
            LogNothingToRevertTo(runtime.Branch, target.Commit.ShortSha);
            return;
        }

        var last = good.Target;
        var devices = work.Rows.Keys.ToHashSet(StringComparer.Ordinal);
        var policy = last.Policy.ToPolicy() with { Abort = [] };
        var revert = last with
        {
            Devices = last.Devices.Where(d => devices.Contains(d.Id)).ToList(),
            Admissions = [],
            Problems = [],
            Policy = RolloutPolicyDocument.From(policy),
            RevertOf = new TargetRevert(target.Commit.Sha, reason),
        };
        var record = await store.SaveRevertTargetAsync(
            new NewBranchTarget(runtime.Branch, SerializedTarget.Of(revert), now) { LastSeenCommit = runtime.Record?.LastSeenCommit ?? target.Commit.Sha },
            target.Commit.Sha, cancellationToken).ConfigureAwait(false);
        runtime.Target = new TargetIndex(revert, record.TargetGeneration);
        runtime.Record = record;
        runtime.PreviousTarget = null;
        runtime.LastDecision = null;
        LogReverted(runtime.Branch, target.Commit.ShortSha, revert.Commit.ShortSha, revert.Devices.Count, reason);
        RequestRun();
    }

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Branch {Branch}: reverting commit {Commit} to {Good} on {Devices} devices: {Reason}")]
    private partial void LogReverted(string branch, string commit, string good, int devices, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Branch {Branch}: an abort rule asked to revert {Commit}, but the branch has no earlier good commit; the rollout stays aborted")]
    private partial void LogNothingToRevertTo(string branch, string commit);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Branch {Branch}: commit {Commit} was reverted by an abort rule and is not rolled out again")]
    private partial void LogRevertedCommitRefused(string branch, string commit);
}
