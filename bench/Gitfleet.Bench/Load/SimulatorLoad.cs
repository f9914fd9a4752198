using System.Diagnostics;
using System.Globalization;
using Gitfleet.Simulator;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Bench.Load;

/// <summary>
/// The simulator itself under load: N devices (the registered bench identities) start against the server, then
/// poll at a fixed interval. Reports how fast they start (auth, inventory, first check-in), the steady check-in rate
/// and latency, what a simulated check-in costs the simulator and the server in CPU, and the simulator's memory.
/// </summary>
internal static class SimulatorLoad
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var devices = args.Int("devices");
        var poll = TimeSpan.FromSeconds(args.Seconds("poll", 10));
        var window = TimeSpan.FromSeconds(args.Seconds("duration", 30));
        var serverPid = args.Optional("server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : (int?)null;
        var options = new SimulatorOptions
        {
            Server = new Uri(args.Text("server")),
            CaCertificatePath = args.Text("ca"),
            Devices = devices,
            DeviceTypes = ["pi4-v3-arm64"],
            IdentityPrefix = args.Optional("prefix") ?? "bench",
            ManagementToken = args.Optional("token"),
            PollInterval = poll,
            StartRamp = TimeSpan.FromSeconds(args.Seconds("ramp", 10)),
            MaxConnections = args.Int("connections", 64),
            MaxConcurrentSteps = args.Int("steps", 512),
        };

        await using var fleet = FleetSimulator.Create(options);
        var boot = Stopwatch.StartNew();
        await fleet.StartAsync();
        while (fleet.Statistics()[SimulatedDeviceState.Idle] < devices)
        {
            if (boot.Elapsed > TimeSpan.FromMinutes(30))
            {
                Console.Error.WriteLine("the devices did not all start within 30 minutes: " + fleet.Statistics().SummaryLine());
                return 1;
            }

            await Task.Delay(250);
        }

        var started = boot.Elapsed;
        await Task.Delay(poll);
        var before = fleet.Statistics();
        var cpuBefore = CpuSample.Take(serverPid);
        await Task.Delay(window);
        var after = fleet.Statistics();
        var cpuAfter = CpuSample.Take(serverPid);

        var seconds = (cpuAfter.Wall - cpuBefore.Wall).TotalSeconds;
        var checkIns = (after[SimulatorEvent.CheckIns] - before[SimulatorEvent.CheckIns]) / seconds;
        var latency = after.CheckInLatency.Since(before.CheckInLatency);
        var lag = after.SchedulerLag.Since(before.SchedulerLag);
        var (serverCores, simulatorCores, machineCores) = CpuSample.Cores(cpuBefore, cpuAfter);
        GC.Collect();
        var heapPerDevice = GC.GetTotalMemory(forceFullCollection: true) / (double)devices;
        var (rss, peak) = CpuSample.Memory(Environment.ProcessId);
        var errors = after[SimulatorEvent.NetworkErrors] + after[SimulatorEvent.ServerErrors] + after[SimulatorEvent.UnexpectedResponses];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"simulated: {devices} devices started in {started.TotalSeconds:F0} s ({devices / started.TotalSeconds:F0}/s: auth, inventory, first check-in); "
            + $"polling every {poll.TotalSeconds:F0} s: {checkIns:F0} check-ins/s (expected {devices / poll.TotalSeconds:F0}), p50 {latency.Percentile(50).TotalMilliseconds:F1} ms, "
            + $"p99 {latency.Percentile(99).TotalMilliseconds:F1} ms, scheduler lag p99 {lag.Percentile(99).TotalMilliseconds:F0} ms; CPU: simulator {simulatorCores:F2} cores "
            + $"({simulatorCores * 1e6 / Math.Max(1, checkIns):F0} µs per check-in), server {serverCores:F2}, machine {machineCores:F2} of {CpuSample.MachineCores}; "
            + $"simulator RSS {rss:F0} MiB (peak {peak:F0}), managed heap {heapPerDevice:F0} bytes per device; {errors} errors"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result boot_per_s={devices / started.TotalSeconds:F0} rate={checkIns:F0} p50={latency.Percentile(50).TotalMilliseconds:F2} p99={latency.Percentile(99).TotalMilliseconds:F2} "
            + $"simulator_cpu={simulatorCores:F2} server_cpu={serverCores:F2} simulator_us_per_checkin={simulatorCores * 1e6 / Math.Max(1, checkIns):F0} rss_mib={rss:F0} peak_mib={peak:F0} heap_bytes_per_device={heapPerDevice:F0} errors={errors}"));
        return errors == 0 ? 0 : 1;
    }
}
