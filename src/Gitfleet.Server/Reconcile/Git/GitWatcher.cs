using System.Threading.Channels;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Loading;
using Gitfleet.Core.Reconcile;
using Gitfleet.Git;
using Gitfleet.Server.Api;
using Gitfleet.Server.Cluster;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Facts;
using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Reconcile.Git;

/// <summary>
/// Pull mode, as Flux and Rancher Fleet do it: the server fetches the fleet repository (cached under the data
/// dir) every poll interval, or at once when a push webhook arrives, and reconciles each watched branch on its
/// own. A new head (or a change in the fleet that can change membership) is loaded and validated, planned
/// against the store's facts with the server's environment as template secrets, and its target submitted to
/// the rollout engine, exactly as <c>gitfleet apply</c> would send it. A commit that does not validate never
/// replaces the last good target: the branch is Stalled with the errors. An unreachable repository is retried
/// with backoff and shown as Reconciling. A commit is loaded, validated and planned within a budget: the YAML and
/// template limits bound its memory (Gitfleet.Core's YamlLimits, TemplateLimits) and <c>fleet_revision_timeout</c>
/// its time; a commit past either is Stalled like one that does not validate, and the last good target stays.
/// Only the leader watches (<see cref="Leadership"/>), under its term's fence.
/// </summary>
internal sealed partial class GitWatcher(
    ServerOptions options,
    Leadership leadership,
    DataDirectory data,
    RolloutEngine engine,
    FactsWriter facts,
    IFleetStore store,
    TimeProvider time,
    ILogger<GitWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Channel<string> triggers = Channel.CreateUnbounded<string>();
    private readonly Dictionary<string, WatchState> states = options.FleetBranches.ToDictionary(b => b, _ => new WatchState(), StringComparer.Ordinal);
    private FleetRepository? repository;

    /// <summary>Called with each phase of a branch's reconcile and how long it took (bench/reconcile.sh prints them).</summary>
    public Action<string, TimeSpan>? PhaseObserver { get; set; }

    public bool Enabled => options.FleetRepository is not null && states.Count > 0;

    public bool Watches(string branch) => Enabled && states.ContainsKey(branch);

    /// <summary>Reconciles the branch as soon as possible (a push webhook).</summary>
    public void Trigger(string branch) => triggers.Writer.TryWrite(branch);

    /// <summary>Fetches the repository and reconciles one branch now; never throws for repository or planning problems.</summary>
    public Task ReconcileAsync(string branch, CancellationToken cancellationToken) => ReconcileAsync(branch, paced: false, cancellationToken);

    /// <param name="paced">
    /// Whether a change of the facts alone waits for <see cref="FactsReplanPacing"/> (the background loop); an
    /// explicit reconcile plans at once.
    /// </param>
    internal async Task ReconcileAsync(string branch, bool paced, CancellationToken cancellationToken)
    {
        var state = states.GetValueOrDefault(branch) ?? throw new ArgumentException($"branch '{branch}' is not watched", nameof(branch));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReconcileLockedAsync(branch, state, paced, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled || !options.BackgroundReconcile)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            LeaderTerm term;
            try
            {
                term = await leadership.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term.Ending);
            using var fence = term.Enter();
            foreach (var (branch, state) in states)
            {
                if (state.NextAttempt <= time.GetUtcNow() && !work.IsCancellationRequested)
                {
                    try
                    {
                        await ReconcileAsync(branch, paced: true, work.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e) when (work.IsCancellationRequested || e is Gitfleet.Storage.Cluster.FencedWriteException)
                    {
                        // Leadership ended mid-reconcile: the next leader reconciles the branch again.
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        state.Failed(time.GetUtcNow(), FirstRetry, MaxRetry);
                        LogUnexpected(e, branch);
                    }
                }
            }

            var next = states.Values.Min(s => s.NextAttempt) - time.GetUtcNow();
            try
            {
                await WaitForTriggerAsync(next < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : next, work.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // The term ended: wait for the next one.
            }
        }
    }

    private async Task ReconcileLockedAsync(string branch, WatchState state, bool paced, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string? head = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name)
        {
            PhaseObserver?.Invoke(name, clock.Elapsed);
            clock.Restart();
        }

        try
        {
            // The fetch and the fleet's fingerprint (a scan of the devices) are independent: side by side. A git failure
            // is the one reported when both fail.
            var resolving = FetchHeadAsync(branch, cancellationToken);
            var fingerprinting = store.FleetFingerprintAsync(cancellationToken);
            await Task.WhenAll(resolving, fingerprinting).ConfigureAwait(false);
            (var fleet, head) = await resolving.ConfigureAwait(false);
            var fingerprint = await fingerprinting.ConfigureAwait(false);
            Phase("fetch");
            if (head == state.Commit && fingerprint == state.Fingerprint)
            {
                state.Succeeded(now, options.FleetPollInterval);
                await engine.ReportTransientErrorAsync(branch, null, cancellationToken).ConfigureAwait(false);
                LogNothingNew(branch, head);
                return;
            }

            if (paced && head == state.Commit && !FactsReplanPacing.MayPlan(now, state.PlannedAt, state.PlanCost))
            {
                // Only the facts changed, and the last plan was too recent for its cost: the change waits (state
                // keeps the old fingerprint), new commits are still looked for at every poll.
                state.Succeeded(now, options.FleetPollInterval);
                LogFactsPaced(branch, FactsReplanPacing.NextAllowed(state.PlannedAt, state.PlanCost));
                return;
            }

            // The facts are read beside the load and validation, with the last plan's projection (EarlyFactsRead).
            await using var early = EarlyFactsRead.Start(facts, state.Projection, cancellationToken);
            var planner = new BranchPlanner(fleet);
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(options.FleetRevisionTimeout);
            FleetLoadResult load;
            try
            {
                load = await planner.LoadAsync(head, budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await StallAsync(branch, head, fingerprint, state, now, cancellationToken).ConfigureAwait(false);
                return;
            }

            Phase("load and validate");
            if (load.Revision is null)
            {
                var errors = load.Errors.Select(d => d.ToString()).ToList();
                await engine.ReportObservationAsync(branch, head, errors, cancellationToken).ConfigureAwait(false);
                LogInvalid(branch, head, errors.Count);
            }
            else
            {
                PlannedBranch planned;
                try
                {
                    // The other stage branches first: with them the plan knows which facts it reads, and only those are read.
                    var context = await planner.PrepareAsync(branch, load.Revision, budget.Token).ConfigureAwait(false);
                    Phase("read other stage branches");
                    var devices = await EarlyFactsRead.ReadAsync(early, facts, context.Projection, cancellationToken).ConfigureAwait(false);
                    state.Projection = context.Projection;
                    Phase("read facts");
                    planned = BranchPlanner.Plan(context, devices, options.Secrets, Phase, time, budget.Token);
                }
                catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    await StallAsync(branch, head, fingerprint, state, now, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var target = BranchTargetBuilder.Build(planned.Plan, planned.Revision, planned.Members);
                Phase("build target");
                var result = await engine.SubmitAsync(branch, target, cancellationToken).ConfigureAwait(false);
                Phase("submit");
                if (result.Unchanged)
                {
                    await engine.ReportObservationAsync(branch, head, [], cancellationToken).ConfigureAwait(false);
                }

                LogPlanned(branch, head, planned.Plan.Devices.Count, result.Unchanged);
                state.PlannedAt = time.GetUtcNow();
                state.PlanCost = state.PlannedAt - now;
            }

            state.Commit = head;
            state.Fingerprint = fingerprint;
            state.Succeeded(now, options.FleetPollInterval);
            await engine.ReportTransientErrorAsync(branch, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is GitCommandException or IOException or UnauthorizedAccessException)
        {
            var retry = state.Failed(now, FirstRetry, MaxRetry);
            await engine.ReportTransientErrorAsync(branch, $"cannot read the fleet repository: {e.Message}; retrying at {retry:u}", cancellationToken).ConfigureAwait(false);
            LogGitFailed(branch, e.Message);
        }
        catch (DomainException e) when (e.Error == DomainError.Invalid)
        {
            // The built target was refused (it should not be): report it like a commit that does not validate.
            await engine.ReportObservationAsync(branch, head ?? "", [e.Message], cancellationToken).ConfigureAwait(false);
            state.Succeeded(now, options.FleetPollInterval);
            LogInvalid(branch, head ?? "", 1);
        }
    }

    /// <summary>Fetches the fleet repository and resolves the branch's head commit.</summary>
    private async Task<(FleetRepository Repository, string Head)> FetchHeadAsync(string branch, CancellationToken cancellationToken)
    {
        repository ??= await FleetRepository.OpenAsync(options.FleetRepository!, Path.Combine(data.Root, "repos"), cancellationToken).ConfigureAwait(false);
        await repository.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return (repository, await repository.TryResolveAsync(branch, cancellationToken).ConfigureAwait(false)
            ?? throw new GitCommandException($"the fleet repository {repository.Source} has no branch '{branch}'"));
    }

    /// <summary>A commit past its time budget: reported like one that does not validate, and not tried again until something changes.</summary>
    private async Task StallAsync(string branch, string head, string fingerprint, WatchState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var message = $"the commit takes longer than {DurationText.Format(options.FleetRevisionTimeout)} to load, validate and plan (fleet_revision_timeout); it is not applied";
        await engine.ReportObservationAsync(branch, head, [message], cancellationToken).ConfigureAwait(false);
        LogOverBudget(branch, head, options.FleetRevisionTimeout);
        state.Commit = head;
        state.Fingerprint = fingerprint;
        state.Succeeded(now, options.FleetPollInterval);
        await engine.ReportTransientErrorAsync(branch, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitForTriggerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var read = triggers.Reader.WaitToReadAsync(stop.Token).AsTask();
        var delay = Task.Delay(timeout, time, stop.Token);
        await Task.WhenAny(read, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        while (triggers.Reader.TryRead(out var branch))
        {
            if (states.TryGetValue(branch, out var state))
            {
                state.NextAttempt = DateTimeOffset.MinValue;
            }
        }
    }

    /// <summary>What the watcher last did for a branch, and when it tries next.</summary>
    private sealed class WatchState
    {
        public string? Commit { get; set; }

        public string? Fingerprint { get; set; }

        public DateTimeOffset NextAttempt { get; set; } = DateTimeOffset.MinValue;

        /// <summary>When the last plan of this branch was submitted, and how long loading, planning and submitting it took.</summary>
        public DateTimeOffset PlannedAt { get; set; } = DateTimeOffset.MinValue;

        public TimeSpan PlanCost { get; set; }

        /// <summary>The parts of the facts the last plan read: the next one starts reading them early (<see cref="EarlyFactsRead"/>).</summary>
        public Gitfleet.Core.Facts.FactsProjection? Projection { get; set; }

        public int Failures { get; private set; }

        public void Succeeded(DateTimeOffset now, TimeSpan interval)
        {
            Failures = 0;
            NextAttempt = now + interval;
        }

        /// <summary>Exponential backoff: 5 s, 10 s, 20 s ... at most 5 minutes. Returns the next attempt's time.</summary>
        public DateTimeOffset Failed(DateTimeOffset now, TimeSpan first, TimeSpan max)
        {
            Failures++;
            var delay = TimeSpan.FromTicks(Math.Min(max.Ticks, first.Ticks * (1L << Math.Min(Failures - 1, 20))));
            NextAttempt = now + delay;
            return NextAttempt;
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Debug, Message = "Branch {Branch}: still at {Commit}, nothing new")]
    private partial void LogNothingNew(string branch, string commit);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Branch {Branch}: commit {Commit} does not validate ({Errors} errors); the last good target stays applied")]
    private partial void LogInvalid(string branch, string commit, int errors);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Branch {Branch}: planned commit {Commit} for {Devices} devices (unchanged: {Unchanged})")]
    private partial void LogPlanned(string branch, string commit, int devices, bool unchanged);

    [LoggerMessage(EventId = 4307, Level = LogLevel.Debug, Message = "Branch {Branch}: the fleet's facts changed; planned again at {NextAllowed:u} at the earliest (FactsReplanPacing)")]
    private partial void LogFactsPaced(string branch, DateTimeOffset nextAllowed);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Warning, Message = "Branch {Branch}: the fleet repository cannot be read: {Reason}")]
    private partial void LogGitFailed(string branch, string reason);

    [LoggerMessage(EventId = 4305, Level = LogLevel.Error, Message = "Branch {Branch}: reconciling from git failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string branch);

    [LoggerMessage(EventId = 4306, Level = LogLevel.Warning, Message = "Branch {Branch}: commit {Commit} took longer than {Budget} to load and plan; the last good target stays applied")]
    private partial void LogOverBudget(string branch, string commit, TimeSpan budget);
}
