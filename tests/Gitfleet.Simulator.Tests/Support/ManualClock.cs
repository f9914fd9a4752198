namespace Gitfleet.Simulator.Tests.Support;

/// <summary>
/// A clock the test moves by hand, with timers: the simulator's scheduler and start ramp run on it, so polling,
/// install and reboot times pass in an instant and the same steps happen on every run.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock gate = new();
    private readonly List<ManualTimer> timers = [];
    private long ticks = start.UtcTicks;

    public ManualClock()
        : this(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock and fires, in order, every timer that came due (callbacks run on this thread).</summary>
    public void Advance(TimeSpan by)
    {
        var target = Interlocked.Read(ref ticks) + by.Ticks;
        while (true)
        {
            ManualTimer? next;
            lock (gate)
            {
                next = timers.Where(t => t.Due <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    Interlocked.Exchange(ref ticks, target);
                    return;
                }

                Interlocked.Exchange(ref ticks, Math.Max(Interlocked.Read(ref ticks), next.Due));
                next.Fired();
            }

            next.Invoke();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; private set; } = long.MaxValue;

        private long period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock.gate)
            {
                clock.timers.Remove(this);
                this.period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Due = clock.GetUtcNow().UtcTicks + dueTime.Ticks;
                    clock.timers.Add(this);
                }
            }

            return true;
        }

        /// <summary>Called under the clock's lock: re-arms a periodic timer, removes a one-shot one.</summary>
        public void Fired()
        {
            clock.timers.Remove(this);
            if (period > 0)
            {
                Due += period;
                clock.timers.Add(this);
            }
        }

        public void Invoke() => callback(state);

        public void Dispose()
        {
            lock (clock.gate)
            {
                clock.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
