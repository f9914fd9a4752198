using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Tests.Support;

/// <summary>
/// A simulator on a manual clock: <see cref="UntilAsync(Func{bool}, string, TimeSpan?, TimeSpan?)"/> lets the devices
/// finish what is due (real HTTP to the real server), checks the condition, and moves the clock a step, so minutes
/// of polling pass in milliseconds without sleeping.
/// </summary>
public sealed class SimulationRun : IAsyncDisposable
{
    private SimulationRun(SimulatorOptions options) => Fleet = FleetSimulator.Create(options, Clock);

    public ManualClock Clock { get; } = new();

    public FleetSimulator Fleet { get; }

    public static async Task<SimulationRun> StartAsync(SimulatorOptions options)
    {
        var run = new SimulationRun(options);
        await run.Fleet.StartAsync();
        return run;
    }

    public SimulatedDeviceView this[int index] => Fleet.Device(index);

    public IEnumerable<SimulatedDeviceView> Devices => Enumerable.Range(0, Fleet.DeviceCount).Select(Fleet.Device);

    public IReadOnlyList<Guid> DeviceIds => [.. Devices.Select(d => d.DeviceId ?? throw new InvalidOperationException($"device {d.Index} has no id yet"))];

    public Task UntilAsync(Func<bool> done, string what, TimeSpan? step = null, TimeSpan? limit = null) =>
        UntilAsync(() => Task.FromResult(done()), what, step, limit);

    public async Task UntilAsync(Func<Task<bool>> done, string what, TimeSpan? step = null, TimeSpan? limit = null)
    {
        var by = step ?? TimeSpan.FromSeconds(5);
        var simulatedLimit = limit ?? TimeSpan.FromHours(2);
        var wallDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var simulated = TimeSpan.Zero; ; simulated += by)
        {
            await Fleet.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (await done())
            {
                return;
            }

            if (simulated >= simulatedLimit || DateTime.UtcNow > wallDeadline)
            {
                throw new TimeoutException($"{what}: not reached after {simulated} of simulated time. {Fleet.Statistics().SummaryLine()}");
            }

            Clock.Advance(by);
        }
    }

    /// <summary>Until every device is idle (authorized, inventory sent, polling).</summary>
    public Task AllIdleAsync() => UntilAsync(() => Devices.All(d => d.State == SimulatedDeviceState.Idle), "all devices idle");

    /// <summary>No simulator bug, no 5xx, no answer the client would not expect (network faults are allowed).</summary>
    public void ShouldHaveNoErrors()
    {
        var statistics = Fleet.Statistics();
        statistics[SimulatorEvent.StepErrors].ShouldBe(0, statistics.LastError);
        statistics[SimulatorEvent.ServerErrors].ShouldBe(0);
        statistics[SimulatorEvent.UnexpectedResponses].ShouldBe(0);
    }

    public ValueTask DisposeAsync() => Fleet.DisposeAsync();
}
