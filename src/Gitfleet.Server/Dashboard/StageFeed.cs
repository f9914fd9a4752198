using System.Text.Json;
using System.Threading.Channels;
using Gitfleet.Core.Reconcile;
using Gitfleet.Server.Reconcile;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Gitfleet.Server.Dashboard;

/// <summary>One point of a branch's progress chart.</summary>
public sealed record ProgressSample(long T, int Converged, int InProgress, int Failed, int Waiting);

/// <summary>A branch as the stages page shows it live.</summary>
public sealed record StageSummary(
    string Branch,
    string? Commit,
    string Phase,
    int Wave,
    int Waves,
    string Message,
    bool Ready,
    bool Reconciling,
    bool Stalled,
    string ReadyReason,
    int Total,
    int Converged,
    int InProgress,
    int Failed,
    int Waiting,
    int Offline,
    ProgressSample? Sample);

/// <summary>
/// The stages page's live feed. One sampler reads the rollout engine's published statuses every
/// <see cref="Interval"/> (no store reads: statuses are in memory), keeps each branch's progress over time for the
/// chart, and hands the same serialized snapshot to every open browser through server-sent events when it changed:
/// an open page costs the server one small write per change, whatever the fleet size.
/// </summary>
internal sealed class StageFeed(RolloutEngine engine, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private const int MaxSamples = 720;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock gate = new();
    private readonly Dictionary<string, (string? Commit, List<ProgressSample> Samples)> history = new(StringComparer.Ordinal);
    private readonly HashSet<Channel<string>> subscribers = [];
    private string snapshot = "[]";

    public int Subscribers
    {
        get
        {
            lock (gate)
            {
                return subscribers.Count;
            }
        }
    }

    /// <summary>A branch's chart points since its applied commit arrived (at most the last few hundred changes).</summary>
    public IReadOnlyList<ProgressSample> History(string branch)
    {
        lock (gate)
        {
            return history.TryGetValue(branch, out var h) ? [.. h.Samples] : [];
        }
    }

    public static StageSummary Summarize(BranchStatus status, ProgressSample? sample) => new(
        status.Branch,
        status.AppliedCommit?.Sha,
        status.Rollout?.Phase.ToString().ToLowerInvariant() ?? "no rollout",
        status.Rollout?.Wave ?? 0,
        status.Rollout?.Waves ?? 0,
        status.Rollout?.Message ?? "",
        Condition(status, StatusCondition.Ready),
        Condition(status, StatusCondition.Reconciling),
        Condition(status, StatusCondition.Stalled),
        status.Conditions.FirstOrDefault(c => c.Type == StatusCondition.Ready)?.Reason ?? "",
        status.Devices.Total,
        status.Devices.Converged,
        status.Devices.InProgress,
        status.Devices.Failed,
        status.Devices.Pending,
        status.Devices.Offline,
        sample);

    /// <summary>Takes one sample now: records chart points and tells the subscribers when anything changed.</summary>
    public void Sample()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var summaries = new List<StageSummary>();
        lock (gate)
        {
            foreach (var view in engine.Views())
            {
                var d = view.Status.Devices;
                var point = new ProgressSample(now, d.Converged, d.InProgress, d.Failed, d.Pending);
                var commit = view.Status.AppliedCommit?.Sha;
                if (!history.TryGetValue(view.Branch, out var h) || h.Commit != commit)
                {
                    h = (commit, []);
                    history[view.Branch] = h;
                }

                var last = h.Samples.Count > 0 ? h.Samples[^1] : null;
                if (last is null || last with { T = now } != point || now - last.T >= 60_000)
                {
                    h.Samples.Add(point);
                    if (h.Samples.Count > MaxSamples)
                    {
                        h.Samples.RemoveRange(0, h.Samples.Count - MaxSamples);
                    }
                }

                summaries.Add(Summarize(view.Status, h.Samples[^1]));
            }

            var json = JsonSerializer.Serialize(summaries, Json);
            if (json == snapshot)
            {
                return;
            }

            snapshot = json;
            foreach (var subscriber in subscribers)
            {
                subscriber.Writer.TryWrite(json);
            }
        }
    }

    /// <summary>Serves one browser: the current snapshot at once, then every change, and a comment every 15 s to keep proxies open.</summary>
    public async Task StreamAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        string first;
        lock (gate)
        {
            subscribers.Add(channel);
            first = snapshot;
        }

        var cancellation = context.RequestAborted;
        try
        {
            await WriteEventAsync(context, first, cancellation).ConfigureAwait(false);
            while (!cancellation.IsCancellationRequested)
            {
                using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    var json = await channel.Reader.ReadAsync(heartbeat.Token).ConfigureAwait(false);
                    await WriteEventAsync(context, json, cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", cancellation).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(cancellation).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The browser went away.
        }
        finally
        {
            lock (gate)
            {
                subscribers.Remove(channel);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The refresh cadence of open pages is wall-clock time even under a test clock; sample timestamps come from the injected clock.
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                Sample();
            }
            catch (InvalidOperationException)
            {
                // A status being rebuilt: the next tick reads it.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private static async Task WriteEventAsync(HttpContext context, string json, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync("event: stages\ndata: " + json + "\n\n", cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool Condition(BranchStatus status, string type) => status.Conditions.FirstOrDefault(c => c.Type == type)?.Status ?? false;
}
