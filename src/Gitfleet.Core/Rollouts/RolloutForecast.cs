using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Rollouts;

/// <summary>One wave of a forecast: when it starts and when it reaches <c>completeAt</c>.</summary>
public sealed record WaveForecast(int Wave, int Devices, DateTimeOffset Start, DateTimeOffset End);

/// <summary>What the forecast starts from: the rollout as it stands now.</summary>
public sealed record ForecastInput
{
    public required RolloutPolicy Policy { get; init; }

    public required DateTimeOffset Now { get; init; }

    /// <summary>How long one device takes from being scheduled to done (observed, or assumed for a plan).</summary>
    public required TimeSpan DeviceTime { get; init; }

    /// <summary>Cumulative wave sizes (devices), one per wave.</summary>
    public required IReadOnlyList<int> WaveSizes { get; init; }

    /// <summary>The wave the rollout is in, how many of its devices are done, and how many are in progress.</summary>
    public int CurrentWave { get; init; }

    public int DoneInCurrentWave { get; init; }

    public int InProgress { get; init; }

    /// <summary>When the current wave completed and soaks (null while it runs).</summary>
    public DateTimeOffset? SoakingSince { get; init; }

    /// <summary>The calendar most of the remaining devices install by (null: any time).</summary>
    public MaintenanceCalendar? Calendar { get; init; }

    /// <summary>Successes so far (the pacing ramp counts them).</summary>
    public int Successes { get; init; }
}

/// <summary>
/// An estimate of when each remaining wave starts and completes: devices start as fast as <c>maxConcurrent</c>
/// (slots free up every device time) and pacing (the ramp followed as successes grow) allow, install inside the
/// calendar's windows (a device scheduled while its window is closed has downloaded and installs when it opens),
/// and a wave ends when its <c>completeAt</c> share is done; the next starts after the soak. Windows closing in
/// the middle of a wave and failures are not modelled: it is an estimate for people, not a promise.
/// </summary>
public static class RolloutForecast
{
    /// <summary>A wave is simulated for at most this many steps (batches and waits), then extrapolated.</summary>
    private const int MaxSteps = 20_000;

    public static IReadOnlyList<WaveForecast> Estimate(ForecastInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var policy = input.Policy;
        var waves = new List<WaveForecast>();
        var time = input.Now;
        var successes = input.Successes;
        var device = input.DeviceTime > TimeSpan.Zero ? input.DeviceTime : TimeSpan.FromSeconds(1);
        for (var wave = input.CurrentWave; wave < input.WaveSizes.Count; wave++)
        {
            var before = wave == 0 ? 0 : input.WaveSizes[wave - 1];
            var size = input.WaveSizes[wave];
            var required = WaveCompletion.Required(size, policy.CompleteAt);
            var done = wave == input.CurrentWave ? Math.Max(input.DoneInCurrentWave, 0) : before;
            var running = wave == input.CurrentWave ? input.InProgress : 0;
            DateTimeOffset start;
            if (wave == input.CurrentWave && input.SoakingSince is { } soaking && done >= required)
            {
                // The current wave is complete and soaks: the forecast begins with the next one.
                waves.Add(new WaveForecast(wave, size - before, soaking, soaking));
                time = Later(soaking + policy.Soak, input.Now);
                continue;
            }

            start = wave == input.CurrentWave ? input.Now : time;
            var end = Simulate(policy, input.Calendar, start, device, required - done, running, ref successes);
            waves.Add(new WaveForecast(wave, size - before, start, end));
            time = end + policy.Soak;
        }

        return waves;
    }

    /// <summary>When <paramref name="needed"/> more devices are done, starting at <paramref name="start"/> with <paramref name="running"/> already in progress.</summary>
    private static DateTimeOffset Simulate(RolloutPolicy policy, MaintenanceCalendar? calendar, DateTimeOffset start, TimeSpan device, int needed, int running, ref int successes)
    {
        if (needed <= 0)
        {
            return start;
        }

        var concurrency = policy.MaxConcurrent ?? int.MaxValue;
        var finishes = new PriorityQueue<(DateTimeOffset At, int Count), DateTimeOffset>();
        var inFlight = Math.Min(running, needed);
        if (inFlight > 0)
        {
            // Devices in progress are, on average, half way through.
            var at = InstallAt(calendar, start) + device / 2;
            finishes.Enqueue((at, inFlight), at);
        }

        var toStart = needed - inFlight;
        var (now, last, minute, startedThisMinute) = (start, start, start, 0);
        for (var steps = 0; toStart > 0; steps++)
        {
            while (finishes.Count > 0 && finishes.Peek().At <= now)
            {
                var (at, count) = finishes.Dequeue();
                (last, inFlight) = (Later(last, at), inFlight - count);
            }

            if (now - minute >= StartPacing.Window)
            {
                (minute, startedThisMinute) = (now, 0);
            }

            var rate = policy.Pacing is { } pacing ? StartPacing.RatePerMinute(pacing, successes) : int.MaxValue;
            var allowed = Math.Min(toStart, Math.Min(concurrency == int.MaxValue ? int.MaxValue : concurrency - inFlight, rate == int.MaxValue ? int.MaxValue : rate - startedThisMinute));
            if (steps >= MaxSteps)
            {
                // Extrapolate the rest at the pace reached: what the slowest limit allows per minute.
                var perMinute = Math.Min(rate, concurrency == int.MaxValue ? int.MaxValue : (int)Math.Max(1, concurrency / Math.Max(device.TotalMinutes, 1.0 / 60)));
                return Later(last, now) + TimeSpan.FromMinutes((double)toStart / Math.Max(1, perMinute)) + device;
            }

            if (allowed > 0)
            {
                var finish = InstallAt(calendar, now) + device;
                finishes.Enqueue((finish, allowed), finish);
                (inFlight, startedThisMinute, successes, toStart) = (inFlight + allowed, startedThisMinute + allowed, successes + allowed, toStart - allowed);
                continue;
            }

            // Nothing may start now: go to whichever frees a start first, a finishing device or the next pacing minute.
            var slotFree = concurrency != int.MaxValue && inFlight >= concurrency && finishes.Count > 0 ? finishes.Peek().At : DateTimeOffset.MaxValue;
            var paceFree = rate != int.MaxValue && startedThisMinute >= rate ? minute + StartPacing.Window : DateTimeOffset.MaxValue;
            var next = Min(slotFree, paceFree);
            if (next == DateTimeOffset.MaxValue || next <= now)
            {
                next = now + TimeSpan.FromSeconds(1);
            }

            now = next;
        }

        while (finishes.Count > 0)
        {
            last = Later(last, finishes.Dequeue().At);
        }

        return last;
    }

    /// <summary>When a device scheduled at <paramref name="at"/> may start installing.</summary>
    private static DateTimeOffset InstallAt(MaintenanceCalendar? calendar, DateTimeOffset at)
    {
        if (calendar is null || calendar.Unrestricted)
        {
            return at;
        }

        var state = calendar.StateAt(at);
        return state.Open ? at : state.Until ?? at;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
