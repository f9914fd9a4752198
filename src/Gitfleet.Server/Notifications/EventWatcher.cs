using System.Text.Json.Nodes;
using Gitfleet.Core.Reconcile;
using Gitfleet.Core.Rollouts;
using Gitfleet.Server.Devices;
using Gitfleet.Server.Reconcile;
using Gitfleet.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Notifications;

/// <summary>
/// Finds what to notify about without the engine knowing about webhooks: every second it compares each branch's
/// published status with the last one it saw (rollout phase changes, a pause with its reasons, a branch turning
/// Stalled), and it hears device status changes from the device table (admission) and gate results from the gate
/// endpoint. What was already true when the server started is not announced again.
/// </summary>
internal sealed partial class EventWatcher : BackgroundService
{
    private const int MaxListed = 10;
    private readonly RolloutEngine engine;
    private readonly Notifier notifier;
    private readonly IFleetStore store;
    private readonly ILogger<EventWatcher> logger;
    private readonly Dictionary<string, (string? Commit, RolloutPhase? Phase, bool Stalled)> seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Commit, bool Passed, bool Final)> gates = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private bool baseline;

    public EventWatcher(RolloutEngine engine, Notifier notifier, IFleetStore store, DeviceRegistry registry, ILogger<EventWatcher> logger)
    {
        this.logger = logger;
        this.engine = engine;
        this.notifier = notifier;
        this.store = store;
        if (notifier.Endpoints.Count > 0)
        {
            registry.StatusChanged += OnDeviceStatus;
        }
    }

    /// <summary>Compares every branch's status with the last one seen and publishes the differences.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (!engine.Loaded)
        {
            return;
        }

        var events = new List<NotificationEvent>();
        lock (gate)
        {
            foreach (var view in engine.Views())
            {
                var status = view.Status;
                var commit = status.AppliedCommit?.Sha;
                var phase = status.Rollout?.Phase;
                var stalled = status.Conditions.Any(c => c.Type == StatusCondition.Stalled && c.Status);
                var known = seen.TryGetValue(view.Branch, out var before);
                seen[view.Branch] = (commit, phase, stalled);
                if (!baseline)
                {
                    continue;
                }

                if (phase is { } now && (!known || before.Phase != now || before.Commit != commit))
                {
                    events.Add(PhaseChanged(status, known ? before.Phase : null));
                    if (now == RolloutPhase.Paused)
                    {
                        events.Add(Paused(status));
                    }
                }

                if (stalled && (!known || !before.Stalled))
                {
                    events.Add(Stalled(status));
                }
            }

            baseline = true;
        }

        foreach (var notification in events)
        {
            await notifier.PublishAsync(notification, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The gate endpoint's answer: announced when it differs from the last answer for the branch and commit.</summary>
    public void GateEvaluated(string branch, string? commit, GateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (notifier.Endpoints.Count == 0 || commit is null)
        {
            return;
        }

        lock (gate)
        {
            if (gates.TryGetValue(branch, out var last) && last == (commit, result.Passed, result.Final))
            {
                return;
            }

            gates[branch] = (commit, result.Passed, result.Final);
        }

        var verdict = result.Passed ? "passes" : result.Final ? "fails" : "does not pass yet";
        notifier.Publish(new NotificationEvent(NotificationEvent.GateEvaluated,
            $"Gate of {branch} at {Short(commit)} {verdict}" + (result.Reasons.Count > 0 ? ": " + string.Join("; ", result.Reasons.Take(3)) : ""),
            new JsonObject
            {
                ["branch"] = branch,
                ["commit"] = commit,
                ["passed"] = result.Passed,
                ["final"] = result.Final,
                ["reasons"] = new JsonArray([.. result.Reasons.Select(r => (JsonNode)r)]),
            }));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifier.Endpoints.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            try
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed check must not stop the host (a background service's exception does); the next tick tries again.
                LogCheckFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void OnDeviceStatus(string deviceId, string? previous, string status) =>
        _ = AnnounceAdmissionAsync(deviceId, previous, status);

    private async Task AnnounceAdmissionAsync(string deviceId, string? previous, string status)
    {
        Storage.Model.DeviceRecord? device;
        try
        {
            device = await store.GetDeviceAsync(deviceId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Fire and forget: an exception here would go unobserved, and the admission silently unannounced.
            LogAdmissionNotAnnounced(e, deviceId);
            return;
        }

        var identity = new JsonObject();
        foreach (var (key, value) in device?.Identity ?? new Dictionary<string, string>())
        {
            identity[key] = value;
        }

        var who = string.Join(", ", (device?.Identity ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"));
        await notifier.PublishAsync(new NotificationEvent(NotificationEvent.DeviceAdmission,
            previous is null ? $"Device {who} is {status} (new)" : $"Device {who} is {status} (was {previous})",
            new JsonObject { ["device"] = deviceId, ["status"] = status, ["previous_status"] = previous, ["identity"] = identity }), CancellationToken.None).ConfigureAwait(false);
    }

    private static NotificationEvent PhaseChanged(BranchStatus status, RolloutPhase? previous)
    {
        var rollout = status.Rollout!;
        var phase = Name(rollout.Phase);
        return new NotificationEvent(NotificationEvent.RolloutPhaseChanged,
            $"Rollout of {status.Branch} at {Short(status.AppliedCommit?.Sha)} is {phase}: {rollout.Message}",
            new JsonObject
            {
                ["branch"] = status.Branch,
                ["commit"] = status.AppliedCommit?.Sha,
                ["subject"] = status.AppliedCommit?.Subject,
                ["phase"] = phase,
                ["previous_phase"] = previous is { } p ? Name(p) : null,
                ["wave"] = rollout.Wave,
                ["waves"] = rollout.Waves,
                ["message"] = rollout.Message,
                ["devices"] = Counts(status.Devices),
            });
    }

    private static NotificationEvent Paused(BranchStatus status)
    {
        var failures = status.Issues.Where(i => i.State == "failed").Take(MaxListed).ToList();
        return new NotificationEvent(NotificationEvent.RolloutPaused,
            $"Rollout of {status.Branch} paused: {status.Rollout!.Message}" + (failures.Count > 0 ? $" First failure: {failures[0].Device}: {failures[0].Reason}" : ""),
            new JsonObject
            {
                ["branch"] = status.Branch,
                ["commit"] = status.AppliedCommit?.Sha,
                ["reason"] = status.Rollout.Message,
                ["failed"] = status.Devices.Failed,
                ["failures"] = new JsonArray([.. failures.Select(f => (JsonNode)new JsonObject { ["device"] = f.Device, ["reason"] = f.Reason })]),
            });
    }

    private static NotificationEvent Stalled(BranchStatus status) => new(NotificationEvent.BranchStalled,
        $"Branch {status.Branch} is Stalled: commit {Short(status.LastSeenCommit)} does not validate ({status.Errors.Count} errors); {Short(status.AppliedCommit?.Sha)} stays applied",
        new JsonObject
        {
            ["branch"] = status.Branch,
            ["commit"] = status.LastSeenCommit,
            ["applied_commit"] = status.AppliedCommit?.Sha,
            ["errors"] = new JsonArray([.. status.Errors.Take(MaxListed).Select(e => (JsonNode)e)]),
        });

    private static JsonObject Counts(DeviceCounts d) => new()
    {
        ["total"] = d.Total, ["converged"] = d.Converged, ["pending"] = d.Pending, ["in_progress"] = d.InProgress, ["failed"] = d.Failed, ["offline"] = d.Offline,
    };

    private static string Name(RolloutPhase phase) => phase.ToString().ToLowerInvariant();

    private static string Short(string? sha) => sha is null ? "nothing" : sha[..Math.Min(12, sha.Length)];

    [LoggerMessage(EventId = 7221, Level = LogLevel.Error, Message = "Checking the branches for notifications failed; trying again in a second")]
    private partial void LogCheckFailed(Exception exception);

    [LoggerMessage(EventId = 7222, Level = LogLevel.Error, Message = "The admission of device {Device} could not be read; it is not announced")]
    private partial void LogAdmissionNotAnnounced(Exception exception, string device);
}
