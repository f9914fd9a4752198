using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Scheduling;

/// <summary>
/// One scheduler for all devices: a priority queue of wake-up times and one timer, instead of a timer or a parked
/// task per device. A device is in the queue at most once (stale entries are skipped by generation), never runs
/// two steps at once, and at most <c>maxInFlight</c> steps run concurrently (the rest wait, which shows as
/// scheduler lag). Time comes from the injected <see cref="TimeProvider"/>, so tests drive it by hand.
/// </summary>
internal sealed class DeviceScheduler : IDisposable
{
    private readonly Lock gate = new();
    private readonly PriorityQueue<(SimDevice Device, int Generation), long> queue = new();
    private readonly List<TaskCompletionSource> idleWaiters = [];
    private readonly TimeProvider time;
    private readonly ITimer timer;
    private readonly AsyncSignal signal = new();
    private readonly LatencyHistogram lag;
    private readonly int maxInFlight;
    private int inFlight;
    private long timerDue = long.MaxValue;
    private bool blocked;

    public DeviceScheduler(TimeProvider time, int maxInFlight, LatencyHistogram lag)
    {
        this.time = time;
        this.maxInFlight = Math.Max(1, maxInFlight);
        this.lag = lag;
        timer = time.CreateTimer(static state => ((DeviceScheduler)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public long Now => time.GetUtcNow().UtcTicks;

    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Wakes <paramref name="device"/> at <paramref name="dueTicks"/> (earlier than planned, when it is waiting).</summary>
    public void Wake(SimDevice device, long dueTicks)
    {
        lock (gate)
        {
            if (device.Running || device.Stopped)
            {
                device.WakeRequest = Math.Min(device.WakeRequest, dueTicks);
                return;
            }

            device.Generation++;
            queue.Enqueue((device, device.Generation), dueTicks);
            if (dueTicks >= timerDue)
            {
                // The armed timer comes first and the loop re-arms after it: no need to wake the loop now.
                return;
            }
        }

        signal.Set();
    }

    /// <summary>Completes when nothing runs and nothing is due now: for tests that move a manual clock.</summary>
    public Task WhenIdleAsync()
    {
        lock (gate)
        {
            if (IsIdle(Now))
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            idleWaiters.Add(waiter);
            signal.Set();
            return waiter.Task;
        }
    }

    /// <summary>
    /// Runs due devices until cancelled. <paramref name="step"/> runs one step of a device and returns when the
    /// device wants to run next (UTC ticks), or null to stop it.
    /// </summary>
    public async Task RunAsync(Func<SimDevice, CancellationToken, Task<long?>> step, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static s => ((AsyncSignal)s!).Set(), signal);
        var due = new List<SimDevice>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Now;
            List<TaskCompletionSource>? idle = null;
            lock (gate)
            {
                blocked = false;
                while (queue.TryPeek(out var entry, out var when) && when <= now)
                {
                    if (entry.Generation != entry.Device.Generation || entry.Device.Stopped)
                    {
                        queue.Dequeue();
                        continue;
                    }

                    if (inFlight >= maxInFlight)
                    {
                        blocked = true;
                        break;
                    }

                    queue.Dequeue();

                    entry.Device.Running = true;
                    inFlight++;
                    lag.RecordMicroseconds((now - when) / TimeSpan.TicksPerMicrosecond);
                    due.Add(entry.Device);
                }

                if (due.Count == 0)
                {
                    if (IsIdle(now) && idleWaiters.Count > 0)
                    {
                        idle = [.. idleWaiters];
                        idleWaiters.Clear();
                    }

                    ArmTimer(now);
                }
            }

            idle?.ForEach(w => w.TrySetResult());
            if (due.Count == 0)
            {
                await signal.WaitAsync().ConfigureAwait(false);
                continue;
            }

            foreach (var device in due)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Scheduler.RunStepAsync(s.Device, s.Step, s.Token), (Scheduler: this, Device: device, Step: step, Token: cancellationToken), preferLocal: false);
            }

            due.Clear();
        }
    }

    /// <summary>After cancellation: waits (at most <paramref name="timeout"/>) for running steps to finish.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref inFlight) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => timer.Dispose();

    private async Task RunStepAsync(SimDevice device, Func<SimDevice, CancellationToken, Task<long?>> step, CancellationToken cancellationToken)
    {
        long? next = null;
        try
        {
            next = await step(device, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            bool wake;
            lock (gate)
            {
                device.Running = false;
                inFlight--;
                var due = long.MaxValue;
                if (next is { } when && !cancellationToken.IsCancellationRequested)
                {
                    due = Math.Min(when, device.WakeRequest);
                    device.Generation++;
                    queue.Enqueue((device, device.Generation), due);
                }
                else
                {
                    device.Stopped = true;
                }

                device.WakeRequest = long.MaxValue;

                // Wake the loop only when it has something to do: a slot it waited for, a wake-up before the armed
                // timer, or a test waiting for idleness. At thousands of steps a second this saves most wake-ups.
                wake = blocked || due < timerDue || idleWaiters.Count > 0 || cancellationToken.IsCancellationRequested;
            }

            if (wake)
            {
                signal.Set();
            }
        }
    }

    private void OnTimer()
    {
        lock (gate)
        {
            // Timers may fire a little before the clock reads the due time: forget the armed time so the loop re-arms.
            timerDue = long.MaxValue;
        }

        signal.Set();
    }

    private bool IsIdle(long now) => inFlight == 0 && (!queue.TryPeek(out _, out var when) || when > now);

    private void ArmTimer(long now)
    {
        if (blocked || !queue.TryPeek(out _, out var when))
        {
            return;
        }

        if (when != timerDue)
        {
            timerDue = when;
            timer.Change(TimeSpan.FromTicks(Math.Max(0, when - now)), Timeout.InfiniteTimeSpan);
        }
    }
}
