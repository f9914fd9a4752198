using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Prometheus;

namespace Gitfleet.Server.Metrics;

/// <summary>
/// The state metrics, read when Prometheus scrapes: devices by authorization status (memory), deployments by
/// status (one grouped query), and per branch its devices by convergence state, conditions, rollout phase and
/// wave, the rollout's devices per wave and state, failures by reason class and the failure budget (from the
/// rollout engine's last decision, computed once per decision). Series of branches that went away are removed.
/// </summary>
internal sealed class FleetGauges
{
    private static readonly string[] DeviceStatuses = [Core.Facts.DeviceStatus.Accepted, Core.Facts.DeviceStatus.Pending, Core.Facts.DeviceStatus.Preauthorized, Core.Facts.DeviceStatus.Rejected];
    private static readonly string[] Phases = ["progressing", "soaking", "paused", "completed", "aborted"];
    private static readonly string[] WaveStates = ["waiting", "in_progress", "succeeded", "failed", "aborted"];

    private readonly DeviceRegistry registry;
    private readonly IFleetStore store;
    private readonly RolloutEngine engine;
    private readonly Family devices;
    private readonly Family deployments;
    private readonly Family branchDevices;
    private readonly Family conditions;
    private readonly Family phase;
    private readonly Family wave;
    private readonly Family waves;
    private readonly Family rolloutDevices;
    private readonly Family failures;
    private readonly Family budget;
    private readonly Family started;
    private readonly Gauge ready;
    private readonly SemaphoreSlim collecting = new(1, 1);

    public FleetGauges(ServerMetrics metrics, DeviceRegistry registry, IFleetStore store, RolloutEngine engine)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        this.registry = registry;
        this.store = store;
        this.engine = engine;
        var f = metrics.Factory;
        devices = new(f.CreateGauge("gitfleet_devices", "Devices by authorization status.", ["status"]));
        deployments = new(f.CreateGauge("gitfleet_deployments", "Deployments by status.", ["status"]));
        branchDevices = new(f.CreateGauge("gitfleet_branch_devices", "A branch's devices by convergence state (total, converged, pending, in_progress, failed, offline: silent beyond the policy's offline timeout, modified, problems).", ["branch", "state"]));
        conditions = new(f.CreateGauge("gitfleet_branch_condition", "A branch's conditions (Ready, Reconciling, Stalled): 1 when true.", ["branch", "condition"]));
        phase = new(f.CreateGauge("gitfleet_rollout_phase", "1 for the phase a branch's rollout is in (progressing, soaking, paused, completed, aborted).", ["branch", "phase"]));
        wave = new(f.CreateGauge("gitfleet_rollout_wave", "The wave a branch's rollout is in (1-based).", ["branch"]));
        waves = new(f.CreateGauge("gitfleet_rollout_waves", "How many waves a branch's rollout has.", ["branch"]));
        rolloutDevices = new(f.CreateGauge("gitfleet_rollout_devices", "A rollout's devices per wave (1-based) by state (waiting, in_progress, succeeded, failed, aborted).", ["branch", "wave", "state"]));
        failures = new(f.CreateGauge("gitfleet_rollout_failures", "A rollout's failed devices by reason class.", ["branch", "reason_class"]));
        budget = new(f.CreateGauge("gitfleet_rollout_failure_budget_ratio", "The share of a rollout's devices that may fail before it pauses (gitfleet.yml failureThreshold); absent without a threshold.", ["branch"]));
        started = new(f.CreateGauge("gitfleet_rollout_started_timestamp_seconds", "When a branch's current rollout started (Unix seconds).", ["branch"]));
        ready = f.CreateGauge("gitfleet_ready", "1 when the server answers: its store reads and the rollout engine has loaded the branches.");
        metrics.Registry.AddBeforeCollectCallback(CollectAsync);
    }

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        await collecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CollectOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            collecting.Release();
        }
    }

    private async Task CollectOnceAsync(CancellationToken cancellationToken)
    {
        var counts = registry.CountByStatus();
        devices.Begin();
        foreach (var status in DeviceStatuses.Concat(counts.Keys).Distinct(StringComparer.Ordinal))
        {
            devices.Set(counts.GetValueOrDefault(status), status);
        }

        devices.End();
        var storeAnswers = true;
        deployments.Begin();
        try
        {
            foreach (var (status, count) in await store.CountDeploymentsByStatusAsync(cancellationToken).ConfigureAwait(false))
            {
                deployments.Set(count, StatusNames.Of(status));
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            storeAnswers = false;
        }

        deployments.End();
        ready.Set(storeAnswers && engine.Loaded ? 1 : 0);
        CollectBranches();
    }

    private void CollectBranches()
    {
        foreach (var family in new[] { branchDevices, conditions, phase, wave, waves, rolloutDevices, failures, budget, started })
        {
            family.Begin();
        }

        foreach (var view in engine.Views())
        {
            var b = view.Branch;
            var d = view.Status.Devices;
            branchDevices.Set(d.Total, b, "total");
            branchDevices.Set(d.Converged, b, "converged");
            branchDevices.Set(d.Pending, b, "pending");
            branchDevices.Set(d.InProgress, b, "in_progress");
            branchDevices.Set(d.Failed, b, "failed");
            branchDevices.Set(d.Offline, b, "offline");
            branchDevices.Set(d.Modified, b, "modified");
            branchDevices.Set(d.Problems, b, "problems");
            foreach (var condition in view.Status.Conditions)
            {
                conditions.Set(condition.Status ? 1 : 0, b, condition.Type);
            }

            if (view.Status.Rollout is not { } rollout || view.Target is not { } target)
            {
                continue;
            }

            var current = rollout.Phase.ToString().ToLowerInvariant();
            foreach (var p in Phases)
            {
                phase.Set(p == current ? 1 : 0, b, p);
            }

            wave.Set(rollout.Wave, b);
            waves.Set(rollout.Waves, b);
            if (rollout.StartedAt is { } at)
            {
                started.Set(at.ToUnixTimeMilliseconds() / 1000.0, b);
            }

            var total = target.Count + target.Problems.Count;
            if (target.Policy.FailureThreshold is { } threshold && total > 0)
            {
                budget.Set(Math.Max(1, threshold.Of(total)) / (double)total, b);
            }

            if (view.Breakdown is { } breakdown)
            {
                foreach (var w in breakdown.Waves)
                {
                    var number = w.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    int[] values = [w.Waiting, w.InProgress, w.Succeeded, w.Failed, w.Aborted];
                    for (var s = 0; s < WaveStates.Length; s++)
                    {
                        rolloutDevices.Set(values[s], b, number, WaveStates[s]);
                    }
                }

                foreach (var (cls, count) in breakdown.FailuresByClass)
                {
                    failures.Set(count, b, cls);
                }
            }
        }

        foreach (var family in new[] { branchDevices, conditions, phase, wave, waves, rolloutDevices, failures, budget, started })
        {
            family.End();
        }
    }

    /// <summary>A labelled gauge whose series not set in a collection are removed at its end.</summary>
    private sealed class Family(Gauge gauge)
    {
        private readonly HashSet<string> touched = new(StringComparer.Ordinal);

        public void Begin() => touched.Clear();

        public void Set(double value, params string[] labels)
        {
            gauge.WithLabels(labels).Set(value);
            touched.Add(string.Join('\u001f', labels));
        }

        public void End()
        {
            foreach (var labels in gauge.GetAllLabelValues().ToList())
            {
                if (!touched.Contains(string.Join('\u001f', labels)))
                {
                    gauge.RemoveLabelled(labels);
                }
            }
        }
    }
}
