using System.Collections.Concurrent;
using Gitfleet.Simulator.Behaviour;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Protocol;
using Gitfleet.Simulator.Scheduling;
using Gitfleet.Simulator.Statistics;

namespace Gitfleet.Simulator;

/// <summary>
/// A fleet of simulated Mender devices in one process. Every device speaks the device API over real HTTP to the
/// server; they share one scheduler, one connection pool and one artifact catalog, and keep about a hundred bytes
/// of state each. Start it, read <see cref="Statistics"/> while it runs, change faults with <see cref="SetFaults"/>,
/// and stop it (or dispose it) to end cleanly.
/// </summary>
/// <example>
/// <code>
/// await using var fleet = FleetSimulator.Create(new SimulatorOptions { Server = server.BaseUri, CaCertificatePath = server.CertificatePath, Devices = 300 });
/// await fleet.StartAsync();
/// Console.WriteLine(fleet.Statistics().SummaryLine());
/// </code>
/// </example>
public sealed class FleetSimulator : IAsyncDisposable
{
    private readonly SimulatorOptions options;
    private readonly TimeProvider time;
    private readonly HttpClient http;
    private readonly SimulatorCounters counters = new();
    private readonly DeviceScheduler scheduler;
    private readonly SimulationContext context;
    private readonly DeviceBehaviour behaviour;
    private readonly SimDevice[] devices;
    private readonly CancellationTokenSource stopping = new();
    private Task? loop;
    private Task? acceptor;
    private int stopped;

    private FleetSimulator(SimulatorOptions options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
        http = ServerHttpClient.Create(options.Server, options.MaxConnections, options.CaCertificatePath, options.Insecure, options.RequestTimeout);
        scheduler = new DeviceScheduler(time, options.MaxConcurrentSteps, counters.SchedulerLag);
        context = new SimulationContext(options, time, new DeviceApiClient(http, counters, time), counters, scheduler);
        behaviour = new DeviceBehaviour(context);
        devices = CreateDevices(options);
        for (var i = 0; i < devices.Length; i++)
        {
            counters.Enter(SimulatedDeviceState.Starting);
        }
    }

    public int DeviceCount => devices.Length;

    public SimulatorOptions Options => options;

    /// <summary>The faults in force; <see cref="SetFaults"/> replaces them at once for every device.</summary>
    public FaultSettings Faults => context.Faults;

    /// <summary>Validates the options and builds the devices (fast: no key is generated, nothing is sent yet).</summary>
    public static FleetSimulator Create(SimulatorOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new FleetSimulator(options, time ?? TimeProvider.System);
    }

    /// <summary>Starts the devices (spread over the start ramp) and returns; they run until <see cref="StopAsync"/>.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (loop is not null)
        {
            throw new InvalidOperationException("the simulation is already running");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var start = time.GetUtcNow().UtcTicks;
        var ramp = options.EffectiveStartRamp;
        foreach (var device in devices)
        {
            scheduler.Wake(device, start + (ramp * DeviceRandom.Uniform(options.Seed, device.Index, Decision.Boot, 0)).Ticks);
        }

        loop = Task.Run(() => scheduler.RunAsync(behaviour.StepAsync, stopping.Token), CancellationToken.None);
        if (options.ManagementToken is { } token)
        {
            acceptor = Task.Run(() => new PendingAcceptor(context, devices).RunAsync(token, stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (Ctrl-C), then stops cleanly.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Stops scheduling, lets running steps end (their requests are cancelled), and closes the connections.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { loop, acceptor })
        {
            if (task is not null)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        await scheduler.DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        scheduler.Dispose();
        http.Dispose();
        stopping.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Replaces the faults for every device, e.g. <see cref="FaultSettings.None"/> to let a fleet converge.</summary>
    public void SetFaults(FaultSettings faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        faults.Validate();
        context.Faults = faults;
    }

    /// <summary>Like <c>kill -USR1</c> on every client: idle devices check for an update now (spread over <paramref name="spread"/>).</summary>
    public void CheckForUpdatesNow(TimeSpan spread = default)
    {
        var now = time.GetUtcNow().UtcTicks;
        foreach (var device in devices)
        {
            var due = now + (spread * DeviceRandom.Uniform(options.Seed, device.Index, Decision.PollJitter, -1)).Ticks;
            if (device.State == SimulatedDeviceState.Idle && device.Deployment is null)
            {
                device.NextPollTicks = Math.Min(device.NextPollTicks, due);
                scheduler.Wake(device, due);
            }
        }
    }

    public SimulatorStatistics Statistics()
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        return new SimulatorStatistics
        {
            Timestamp = now,
            Devices = devices.Length,
            DevicesByState = counters.States(),
            Events = counters.Events(),
            CheckInsPerSecond = counters.CheckIns.PerSecond(second),
            RequestsPerSecond = counters.Requests.PerSecond(second),
            CheckInLatency = counters.CheckInLatency.Snapshot(),
            RequestLatency = counters.RequestLatency.Snapshot(),
            SchedulerLag = counters.SchedulerLag.Snapshot(),
            LastError = context.LastError,
        };
    }

    public SimulatedDeviceView Device(int index)
    {
        var device = devices[index];
        var installed = device.Installed;
        return new SimulatedDeviceView
        {
            Index = index,
            Identity = context.Identity(device),
            DeviceType = installed.DeviceType,
            DeviceId = device.DeviceId == Guid.Empty ? null : device.DeviceId,
            State = device.State,
            ArtifactName = installed.ArtifactName,
            RunningImage = installed.RunningImage,
            Provides = installed.Provides,
            Configuration = installed.Configuration,
            ConfigurationChecksum = installed.ConfigurationChecksum,
            DeploymentId = device.Deployment?.Offer.DeploymentId,
        };
    }

    /// <summary>Completes when no device step runs and none is due: tests move a manual clock, then await this.</summary>
    public Task WhenIdleAsync() => scheduler.WhenIdleAsync();

    private static SimDevice[] CreateDevices(SimulatorOptions options)
    {
        var states = new ConcurrentDictionary<(string Type, string Image), InstalledState>();
        var devices = new SimDevice[options.TotalDevices];
        for (var i = 0; i < devices.Length; i++)
        {
            if (i < options.DefinedDevices.Count)
            {
                var definition = options.DefinedDevices[i];
                devices[i] = new SimDevice(i, InstalledState.Provisioned(definition.DeviceType, definition.InitialImage, definition.InitialConfiguration), definition);
            }
            else
            {
                var type = options.DeviceTypes[i % options.DeviceTypes.Count];
                var state = states.GetOrAdd((type, options.InitialImage(type, i / options.DeviceTypes.Count)), key => InstalledState.Provisioned(key.Type, key.Image, null));
                devices[i] = new SimDevice(i, state, null);
            }
        }

        return devices;
    }
}
