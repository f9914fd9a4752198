using System.Collections.Concurrent;
using System.Diagnostics;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Api;
using Gitfleet.Server.Deployments;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile;

/// <summary>The answer to a target submission.</summary>
public sealed record SubmitResult(string Branch, string Commit, bool Unchanged)
{
    /// <summary>The commit was reverted by an abort rule on this branch: nothing was stored (push a new commit).</summary>
    public bool Reverted { get; init; }
}

/// <summary>An operator's command to a branch's rollout.</summary>
internal enum RolloutControl
{
    Pause,
    Resume,
    Abort,
}

/// <summary>
/// The rollout engine: per branch with a target, compares every target device with its facts, keeps the
/// branch's rollout (waves, soak, concurrency, threshold, retries) moving through the pure
/// <see cref="RolloutPlanner"/>, creates and follows deployments, and publishes the branch's status. Everything
/// that changes a rollout runs under one lock, so two submissions or a submission and a decision never create
/// a deployment twice; each decision reads the observed state once and writes once, in one transaction.
/// Time comes from the <see cref="TimeProvider"/>: tests call <see cref="RunOnceAsync"/> with a manual clock.
/// </summary>
internal sealed partial class RolloutEngine(
    IFleetStore store,
    DeviceRegistry registry,
    DeviceService devices,
    CheckInFlusher flusher,
    AdmissionController admissions,
    InstallHolds holds,
    Delivery.TransferCostsCache prices,
    ServerOptions options,
    TimeProvider time,
    ILogger<RolloutEngine> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly SemaphoreSlim wake = new(0, 1);
    private readonly ConcurrentDictionary<string, BranchRuntime> branches = new(StringComparer.Ordinal);
    private volatile bool loaded;
    private ObservedState? observed;

    /// <summary>Called with each phase of a decision and how long it took (bench/reconcile.sh prints them).</summary>
    public Action<string, TimeSpan>? PhaseObserver { get; set; }

    /// <summary>When time alone will change a rollout next (a soak ending); the service wakes up then at the latest.</summary>
    public DateTimeOffset? NextWake { get; private set; }

    public IReadOnlyList<BranchStatus> Statuses() =>
        branches.Values.OrderBy(b => b.Branch, StringComparer.Ordinal).Select(StatusOf).ToList();

    public BranchStatus? Status(string branch) => branches.TryGetValue(branch, out var runtime) ? StatusOf(runtime) : null;

    /// <summary>
    /// The configuration keys the branches' targets (current and previous) mark as secret, and those keys' values: what
    /// every management read redacts (Api/Redaction). Targets are replaced whole, so reading them needs no lock.
    /// </summary>
    public (IReadOnlySet<string> Keys, IReadOnlySet<string> Values) SecretsInTargets()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var runtime in branches.Values)
        {
            foreach (var target in new[] { runtime.Target, runtime.PreviousTarget })
            {
                foreach (var configuration in target?.Configurations ?? [])
                {
                    foreach (var key in configuration.SecretKeys)
                    {
                        keys.Add(key);
                        if (configuration.Values.TryGetValue(key, out var value))
                        {
                            values.Add(value);
                        }
                    }
                }
            }
        }

        return (keys, values);
    }

    /// <summary>Reads the branches, their targets and rollouts from the store (once).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (loaded)
        {
            return;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (loaded)
            {
                return;
            }

            foreach (var record in await store.ListBranchesAsync(cancellationToken).ConfigureAwait(false))
            {
                var runtime = branches.GetOrAdd(record.Branch, b => new BranchRuntime(b));
                runtime.Record = record;
                if (await store.GetTargetAsync(record.Branch, cancellationToken).ConfigureAwait(false) is { } target)
                {
                    runtime.Target = new TargetIndex(target, record.TargetGeneration);
                }
            }

            foreach (var branch in options.FleetBranches)
            {
                branches.GetOrAdd(branch, b => new BranchRuntime(b));
            }

            loaded = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Stores a validated target as the branch's applied target and wakes the engine. The same commit, content
    /// and document again is recognised as unchanged and stores nothing.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(string branch, BranchTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var validated = TargetValidator.Validate(target, branch, registry.StatusOf);
        var serialized = SerializedTarget.Of(validated);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runtime = branches.GetOrAdd(branch, b => new BranchRuntime(b));
            var applied = runtime.Record;
            if (applied?.AppliedCommit?.Sha == validated.Commit.Sha && applied.ContentHash == validated.ContentHash && applied.TargetDigest == serialized.Digest)
            {
                LogUnchanged(branch, validated.Commit.ShortSha);
                return new SubmitResult(branch, validated.Commit.Sha, Unchanged: true);
            }

            if (applied?.RevertedCommit == validated.Commit.Sha)
            {
                // An abort rule reverted this commit: it is not rolled out again; a new commit is.
                LogRevertedCommitRefused(branch, validated.Commit.ShortSha);
                return new SubmitResult(branch, validated.Commit.Sha, Unchanged: true) { Reverted = true };
            }

            var record = await store.SaveTargetAsync(
                new NewBranchTarget(branch, serialized, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            if (runtime.Target is { } current && applied?.RolloutGeneration == current.Generation)
            {
                runtime.PreviousTarget = current;
            }

            runtime.Target = new TargetIndex(validated, record.TargetGeneration);
            runtime.Record = record;
            runtime.LastDecision = null;
            LogTargetStored(branch, validated.Commit.ShortSha, validated.Devices.Count, validated.Problems.Count);
        }
        finally
        {
            gate.Release();
        }

        RequestRun();
        return new SubmitResult(branch, validated.Commit.Sha, Unchanged: false);
    }

    /// <summary>One decision for every branch: one observed-state read, admissions, then each branch's rollout.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var phase = Stopwatch.StartNew();
            var facts = branches.Values.Any(b => b.Target is not null && b.Record is not null)
                ? await ObserveAsync(cancellationToken).ConfigureAwait(false)
                : await ForgetObservedAsync(cancellationToken).ConfigureAwait(false);
            Phase("observe", phase);
            var targets = branches.Values.Select(b => b.Target).OfType<TargetIndex>().ToList();
            if (targets.Count > 0)
            {
                await admissions.RunAsync(targets, cancellationToken).ConfigureAwait(false);
                Phase("admissions", phase);
            }

            DateTimeOffset? wakeAt = null;
            foreach (var runtime in branches.Values.OrderBy(b => b.Branch, StringComparer.Ordinal))
            {
                try
                {
                    await ReconcileBranchAsync(runtime, facts, null, cancellationToken).ConfigureAwait(false);
                    if (runtime.LastDecision?.WakeAt is { } at && (wakeAt is null || at < wakeAt))
                    {
                        wakeAt = at;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    runtime.Rows = null;
                    runtime.LastDecision = null;
                    runtime.Evaluations = null;
                    LogBranchFailed(e, runtime.Branch);
                }
            }

            NextWake = wakeAt;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Pauses, resumes or aborts a branch's rollout and answers its status after the decision that follows.</summary>
    public async Task<BranchStatus> ControlAsync(string branch, RolloutControl control, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runtime = branches.GetValueOrDefault(branch) ?? throw DomainException.NotFound($"branch '{branch}' is not reconciled by this server");
            var target = runtime.Target ?? throw DomainException.Conflict($"branch '{branch}' has no rollout: no target has been applied");
            if (control == RolloutControl.Resume && runtime.Record?.Progress.Aborted == true)
            {
                throw DomainException.Conflict($"the rollout of {target.Commit.ShortSha} on '{branch}' was aborted; apply a new commit (or the same target again after a change) to start a new one");
            }

            var facts = await ObserveAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileBranchAsync(runtime, facts, work => Apply(work, control, target), cancellationToken).ConfigureAwait(false);
            LogControl(branch, control.ToString().ToLowerInvariant());
            return StatusOf(runtime);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>What the git watcher saw: the branch's newest commit and its validation errors (a broken commit stalls the branch).</summary>
    public async Task ReportObservationAsync(string branch, string commit, IReadOnlyList<string> errors, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runtime = branches.GetOrAdd(branch, b => new BranchRuntime(b));
            var record = await store.SaveObservationAsync(branch, commit, errors, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            runtime.Record = runtime.Record is null ? record : runtime.Record with { LastSeenCommit = record.LastSeenCommit, Errors = record.Errors };
            runtime.TransientError = null;
            Publish(runtime);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A transient problem of the branch's source (git unreachable), or null when it is over; changed under the engine's lock like all branch state.</summary>
    public async Task ReportTransientErrorAsync(string branch, string? message, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runtime = branches.GetOrAdd(branch, b => new BranchRuntime(b));
            if (runtime.TransientError != message)
            {
                runtime.TransientError = message;
                Publish(runtime);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Asks the service to decide now (a new target, a webhook).</summary>
    public void RequestRun()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A run is already requested.
        }
    }

    /// <summary>Waits until a run is requested or <paramref name="timeout"/> passed.</summary>
    public async Task WaitForRequestAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requested = wake.WaitAsync(stop.Token);
        var delay = Task.Delay(timeout, time, stop.Token);
        await Task.WhenAny(requested, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(requested, delay).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task<IReadOnlyDictionary<string, DeviceFacts>> ObserveAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await flusher.FlushAsync(cancellationToken).ConfigureAwait(false);
        Phase("flush", clock);
        observed = await store.LoadObservedAsync(observed, time.GetUtcNow(), registry.LastCheckIn, cancellationToken).ConfigureAwait(false);
        return observed.Devices;
    }

    /// <summary>
    /// No branch has a target, so nothing compares facts: check-ins are still flushed, but no device is read and the
    /// observed state is let go (a million devices' facts are about 250 MB; docs/benchmarks.md). The first decision
    /// with a target reads every device again, as after a restart.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, DeviceFacts>> ForgetObservedAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await flusher.FlushAsync(cancellationToken).ConfigureAwait(false);
        Phase("flush", clock);
        observed = null;
        return ObservedState.Empty.Devices;
    }

    private async Task ReconcileBranchAsync(BranchRuntime runtime, IReadOnlyDictionary<string, DeviceFacts> facts, Action<RolloutWork>? operation, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (runtime.Target is not { } target || runtime.Record is not { } record)
        {
            Publish(runtime);
            return;
        }

        var phase = Stopwatch.StartNew();
        var rows = runtime.Rows ??= (await store.ListRolloutDevicesAsync(runtime.Branch, cancellationToken).ConfigureAwait(false))
            .ToDictionary(r => r.DeviceId, StringComparer.Ordinal);
        var evaluations = DeviceEvaluation.EvaluateAll(target, facts, runtime.EvaluatedGeneration == target.Generation ? runtime.Evaluations : null);
        runtime.Evaluations = evaluations;
        runtime.EvaluatedGeneration = target.Generation;
        Phase("evaluate", phase);
        PublishHolds(runtime, target);
        var work = new RolloutWork(target, evaluations, rows, record.Progress, record.StartedAt, now, options.DriftGracePeriod, runtime.Memory);
        var newRollout = record.RolloutGeneration != target.Generation;
        if (newRollout)
        {
            var previous = runtime.PreviousTarget;
            work.Restart(previous is not null && previous.Commit.Sha == target.Commit.Sha && previous.ContentHash == target.ContentHash ? previous : null);
        }

        var parts = work.FinishedParts();
        if (parts.Count > 0)
        {
            var outcomes = await store.GetDevicePartsAsync(parts, cancellationToken).ConfigureAwait(false);
            var withLogs = outcomes.Where(o => o.HasLog && o.Status == DeviceDeploymentState.Failure).Select(o => o.DeviceDeploymentId).ToList();
            var logs = withLogs.Count == 0 ? new Dictionary<string, IReadOnlyList<DeploymentLogMessage>>() : await store.GetLogsAsync(withLogs, cancellationToken).ConfigureAwait(false);
            work.ApplyOutcomes(outcomes.Select(o => o.ToPartOutcome()).ToList(), logs.ToDictionary(kv => kv.Key, kv => kv.Value.ToLogLines(), StringComparer.Ordinal));
        }

        Phase("outcomes", phase);
        work.SettleWaiting();
        var drifted = work.CorrectDrift(target.CorrectDrift);
        work.AbortSuperseded();
        operation?.Invoke(work);
        var phasesChanged = work.TrackPhases();
        Phase("drift and supersedes", phase);
        var costs = target.Policy.ByteBudget.LimitsAdmission ? await prices.GetAsync(cancellationToken).ConfigureAwait(false) : null;
        var decision = Decide(runtime, work, target, now, phasesChanged, costs);
        work.Progress = decision.Progress;
        work.TimeOut(decision.TimedOut);
        if (decision.Response?.Rule.Action is AbortAction.Abort or AbortAction.Revert)
        {
            work.Abort(decision.Progress.PauseReason ?? "aborted by an abort rule");
        }

        holds.SetPaused(runtime.Branch, decision.Phase == RolloutPhase.Paused);
        Phase("decide", phase);
        if (decision.Schedule.Count > 0)
        {
            var artifacts = new Dictionary<string, IReadOnlyList<ImageArtifact>>(StringComparer.Ordinal);
            foreach (var image in work.ImagesFor(decision.Schedule))
            {
                artifacts[image] = (await store.ListArtifactsAsync(image, includeGenerated: false, cancellationToken).ConfigureAwait(false)).Select(a => a.ToImageArtifact()).ToList();
            }

            work.Schedule(decision.Schedule, artifacts);
            Phase("schedule", phase);
        }

        var commit = work.ToCommit(target, now);
        if (!commit.IsEmpty || newRollout || commit.Progress != record.Progress)
        {
            await store.CommitRolloutAsync(commit, cancellationToken).ConfigureAwait(false);
            devices.DeploymentsCommitted(work.NewlyDeployed);

            runtime.Record = record with { RolloutGeneration = target.Generation, Progress = commit.Progress, StartedAt = commit.StartedAt };
            runtime.PreviousTarget = null;
            if (commit.Deployments.Count > 0 || commit.Aborts.Count > 0 || drifted > 0)
            {
                LogDecision(runtime.Branch, target.Commit.ShortSha, commit.Deployments.Sum(d => d.Devices.Count), commit.Deployments.Count, commit.Aborts.Count, drifted, decision.Message);
            }
        }

        Phase("write", phase);
        runtime.Rows = work.Rows;
        runtime.LastDecision = decision;
        var transfer = await TransferAsync(runtime, target, work, phasesChanged, cancellationToken).ConfigureAwait(false);
        runtime.Status = BranchStatusBuilder.Build(runtime, evaluations, work, now, transfer);
        Phase("status", phase);
        await AfterDecisionAsync(runtime, target, work, decision, now, cancellationToken).ConfigureAwait(false);
    }

    private void Phase(string name, Stopwatch clock)
    {
        PhaseObserver?.Invoke(name, clock.Elapsed);
        clock.Restart();
    }

    /// <summary>
    /// The planner's decision. When nothing it depends on changed since the last one (no rollout device changed,
    /// the same progress, the same devices offline, no soak ending), the last decision stands: at 200,000 devices
    /// that keeps a no-op decision cheap.
    /// </summary>
    private static RolloutDecision Decide(BranchRuntime runtime, RolloutWork work, TargetIndex target, DateTimeOffset now, bool phasesChanged, Core.Delivery.TransferCosts? costs)
    {
        var offline = work.Offline();
        var last = runtime.LastDecision;
        var unchanged = last is not null && !work.RowsChanged && work.Aborts.Count == 0 && last.Progress == work.Progress && runtime.LastOffline == offline
            && !phasesChanged && (last.WakeAt is null || now < last.WakeAt);
        runtime.LastOffline = offline;
        return unchanged ? last! with { Schedule = [], TimedOut = [], Response = null } : RolloutPlanner.Decide(work.ToInput(target.Commit.Sha, costs));
    }

    private static void Apply(RolloutWork work, RolloutControl control, TargetIndex target)
    {
        switch (control)
        {
            case RolloutControl.Pause:
                if (!work.Progress.Paused)
                {
                    work.Progress = work.Progress with { Paused = true, PauseReason = "paused by an operator" };
                }

                break;
            case RolloutControl.Resume:
                var failedForGood = work.FailedForGood();
                var (wave, outcomes) = RolloutPlanner.CurrentWaveOutcomes(work.ToInput(target.Commit.Sha));
                work.Progress = work.Progress with
                {
                    Paused = false, PauseReason = null, AcknowledgedFailures = failedForGood, AcknowledgedWave = wave, AcknowledgedOutcomes = outcomes,
                };
                break;
            default:
                work.Abort("the rollout was aborted by an operator");
                break;
        }
    }

    /// <summary>
    /// The branch's status; before its first decision, one built from its record. Runs outside the engine's lock (status
    /// reads never wait for a decision), so the first status is only stored when none was stored meanwhile.
    /// </summary>
    private BranchStatus StatusOf(BranchRuntime runtime) =>
        runtime.PublishFirst(r => BranchStatusBuilder.Build(r, null, null, time.GetUtcNow()));

    /// <summary>A status from the branch's record alone (before its first decision, or after an observation).</summary>
    private void Publish(BranchRuntime runtime)
    {
        var now = time.GetUtcNow();
        if (runtime.Status is { } previous && runtime.Target is not null)
        {
            runtime.Status = BranchStatusBuilder.Refresh(runtime, previous, now);
            return;
        }

        runtime.Status = BranchStatusBuilder.Build(runtime, null, null, now);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Branch {Branch}: target of commit {Commit} stored ({Devices} devices, {Problems} left alone)")]
    private partial void LogTargetStored(string branch, string commit, int devices, int problems);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Branch {Branch}: the target of commit {Commit} is unchanged")]
    private partial void LogUnchanged(string branch, string commit);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Branch {Branch} @ {Commit}: scheduled {Devices} devices in {Deployments} deployments, aborted {Aborts} superseded device deployments, {Drifted} drifted devices enrolled again; {Message}")]
    private partial void LogDecision(string branch, string commit, int devices, int deployments, int aborts, int drifted, string message);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Branch {Branch}: the rollout decision failed; retrying at the next run")]
    private partial void LogBranchFailed(Exception exception, string branch);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Branch {Branch}: rollout {Control} by an operator")]
    private partial void LogControl(string branch, string control);
}
