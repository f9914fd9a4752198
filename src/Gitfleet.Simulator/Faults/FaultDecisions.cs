namespace Gitfleet.Simulator.Faults;

/// <summary>
/// Every fault decision as a pure function of the settings, the seed, the device index and a per-device counter
/// (requests, update checks, installs). Tests call these to know in advance what a run will do.
/// </summary>
public static class FaultDecisions
{
    /// <summary>What the network does to request number <paramref name="request"/> of a device.</summary>
    public static NetworkFault Network(FaultSettings faults, long seed, int device, long request)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (!DeviceRandom.Chance(faults.FlakyNetworkRate, seed, device, Decision.Network, request))
        {
            return default;
        }

        var kind = DeviceRandom.Uniform(seed, device, Decision.NetworkKind, request) switch
        {
            < 0.4 => NetworkFaultKind.Drop,
            < 0.7 => NetworkFaultKind.LostResponse,
            _ => NetworkFaultKind.Slow,
        };
        return new NetworkFault(
            kind,
            kind == NetworkFaultKind.Slow ? DeviceRandom.Between(faults.SlowMin, faults.SlowMax, seed, device, Decision.SlowDelay, request) : TimeSpan.Zero,
            0.1 + (0.8 * DeviceRandom.Uniform(seed, device, Decision.DropPoint, request)));
    }

    /// <summary>Where download attempt number <paramref name="request"/> breaks off (a fraction of what is left), or null.</summary>
    public static double? DownloadDrop(FaultSettings faults, long seed, int device, long request)
    {
        ArgumentNullException.ThrowIfNull(faults);
        return DeviceRandom.Chance(faults.DownloadDropRate, seed, device, Decision.DownloadDrop, request)
            ? 0.1 + (0.8 * DeviceRandom.Uniform(seed, device, Decision.DropPoint, request))
            : null;
    }

    /// <summary>Null, or how long the device stays offline when update check number <paramref name="poll"/> comes.</summary>
    public static TimeSpan? Offline(FaultSettings faults, long seed, int device, long poll)
    {
        ArgumentNullException.ThrowIfNull(faults);
        return DeviceRandom.Chance(faults.OfflineRate, seed, device, Decision.Offline, poll)
            ? DeviceRandom.Between(faults.OfflineMin, faults.OfflineMax, seed, device, Decision.OfflineDuration, poll)
            : null;
    }

    /// <summary>Whether install number <paramref name="install"/> of the device fails, where, and what it prints.</summary>
    public static InstallFault Install(FaultSettings faults, long seed, string artifactName, bool reboots, long install, in RuleSubject device)
    {
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(artifactName);
        foreach (var rule in faults.ImageFailures)
        {
            if (rule.Matches(artifactName, device))
            {
                if (!DeviceRandom.Chance(rule.Probability, seed, device.Index, Decision.ImageRule, install))
                {
                    break;
                }

                var phase = rule.Phase == FailurePhase.Automatic ? (reboots ? FailurePhase.HealthCheck : FailurePhase.Install) : rule.Phase;
                return new InstallFault(phase, rule.Message ?? (phase == FailurePhase.HealthCheck
                    ? $"health check failed on image '{artifactName}': service 'app' did not start (simulated)"
                    : $"installing '{artifactName}' failed: the update module exited with status 1 (simulated)"));
            }
        }

        return DeviceRandom.Chance(faults.InstallFailureRate, seed, device.Index, Decision.InstallFailure, install)
            ? new InstallFault(FailurePhase.Install, $"installing '{artifactName}' failed: write error on /dev/mmcblk0p3 (simulated, failure rate {faults.InstallFailureRate})")
            : default;
    }
}

public enum NetworkFaultKind
{
    None,

    /// <summary>The connection drops before an answer arrives (a download stops part way).</summary>
    Drop,

    /// <summary>The server handles the request but the answer never arrives.</summary>
    LostResponse,

    /// <summary>The request is sent late.</summary>
    Slow,
}

/// <summary>A network fault; <see cref="CutFraction"/> is where a dropped download stops (0.1 to 0.9 of what is left).</summary>
public readonly record struct NetworkFault(NetworkFaultKind Kind, TimeSpan Delay, double CutFraction);

/// <summary>An injected install failure: null phase means the install succeeds.</summary>
public readonly record struct InstallFault(FailurePhase? Phase, string? Message)
{
    public bool Fails => Phase is not null;
}
