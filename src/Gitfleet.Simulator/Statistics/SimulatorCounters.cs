using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator.Statistics;

/// <summary>The simulator's live counters, updated with Interlocked operations from any thread.</summary>
internal sealed class SimulatorCounters
{
    private readonly long[] states = new long[Enum.GetValues<SimulatedDeviceState>().Length];
    private readonly long[] events = new long[Enum.GetValues<SimulatorEvent>().Length];

    public LatencyHistogram RequestLatency { get; } = new();

    public LatencyHistogram CheckInLatency { get; } = new();

    /// <summary>How late the scheduler starts device steps: near zero unless the simulator (or its machine) is saturated.</summary>
    public LatencyHistogram SchedulerLag { get; } = new();

    public RateMeter CheckIns { get; } = new();

    public RateMeter Requests { get; } = new();

    public void Enter(SimulatedDeviceState state) => Interlocked.Increment(ref states[(int)state]);

    public void Move(SimulatedDeviceState from, SimulatedDeviceState to)
    {
        if (from != to)
        {
            Interlocked.Decrement(ref states[(int)from]);
            Interlocked.Increment(ref states[(int)to]);
        }
    }

    public void Count(SimulatorEvent what, long by = 1) => Interlocked.Add(ref events[(int)what], by);

    public long Get(SimulatorEvent what) => Interlocked.Read(ref events[(int)what]);

    public IReadOnlyDictionary<SimulatedDeviceState, long> States() =>
        Enum.GetValues<SimulatedDeviceState>().ToDictionary(s => s, s => Interlocked.Read(ref states[(int)s]));

    public IReadOnlyDictionary<SimulatorEvent, long> Events() =>
        Enum.GetValues<SimulatorEvent>().ToDictionary(e => e, e => Interlocked.Read(ref events[(int)e]));
}

/// <summary>Things the simulator counts.</summary>
public enum SimulatorEvent
{
    Requests,
    NetworkErrors,
    ServerErrors,
    UnexpectedResponses,
    StepErrors,
    AuthRequests,
    Authorized,
    AuthPending,
    ReAuthentications,
    Preauthorized,
    AutoAccepted,
    CheckIns,
    Offers,
    InventoryReports,
    ConfigurationReports,
    DeploymentsStarted,
    DeploymentsSucceeded,
    DeploymentsFailed,
    DeploymentsAlreadyInstalled,
    DeploymentsAborted,
    DownloadsCompleted,
    DownloadsResumed,
    DownloadRangeIgnored,
    DownloadedBytes,
    ChecksumMismatches,
    InjectedDrops,
    InjectedLostResponses,
    InjectedSlowRequests,
    InjectedOfflinePeriods,
    InjectedInstallFailures,
    InterlockRefusals,
}
