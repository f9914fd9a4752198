using Gitfleet.Simulator.Artifacts;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Protocol;
using Gitfleet.Simulator.Scheduling;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator.Behaviour;

/// <summary>What every device of one simulation shares: options, clock, HTTP client, artifact catalog, counters, faults.</summary>
internal sealed class SimulationContext(SimulatorOptions options, TimeProvider time, DeviceApiClient api, SimulatorCounters counters, DeviceScheduler scheduler)
{
    private FaultSettings faults = options.Faults;
    private int nextProtocol;

    public SimulatorOptions Options { get; } = options;

    public TimeProvider Time { get; } = time;

    public DeviceApiClient Api { get; } = api;

    public ArtifactCatalog Catalog { get; } = new(api.Http);

    public SimulatorCounters Counters { get; } = counters;

    public DeviceScheduler Scheduler { get; } = scheduler;

    public long Seed => Options.Seed;

    public FaultSettings Faults
    {
        get => Volatile.Read(ref faults);
        set => Volatile.Write(ref faults, value);
    }

    /// <summary>0: v2 POST next; 1: v1 POST; 2: v1 GET — the client falls back on 404, once for all devices here.</summary>
    public int NextProtocol => Volatile.Read(ref nextProtocol);

    public long Now => Time.GetUtcNow().UtcTicks;

    /// <summary>The last unexpected error of a device step (null: none).</summary>
    public string? LastError { get; set; }

    public void FallBack(int from) => Interlocked.CompareExchange(ref nextProtocol, Math.Min(2, from + 1), from);

    public IReadOnlyDictionary<string, string> Identity(SimDevice device) =>
        device.Definition?.Identity ?? DeviceIdentity.Generated(Options.IdentityPrefix, device.Index);

    public void Move(SimDevice device, SimulatedDeviceState state)
    {
        Counters.Move(device.State, state);
        device.State = state;
    }
}
